"""The base of the image datasets: a root folder and the transforms applied to each sample."""
from __future__ import annotations

import os
from typing import Any, Callable

from ...utils.data import Dataset


class VisionDataset(Dataset):
    """A dataset under ``root`` whose samples pass through ``transform`` (the image) and
    ``target_transform`` (the label), or one joint ``transforms(image, target)``."""

    def __init__(self, root: str | os.PathLike | None = None,
                 transforms: Callable | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        self.root = os.path.expanduser(root) if isinstance(root, (str, os.PathLike)) else root
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform, self.target_transform = transform, target_transform
        self.transforms = transforms

    def apply(self, image: Any, target: Any) -> tuple[Any, Any]:
        """The sample after the transforms."""
        if self.transforms is not None:
            return self.transforms(image, target)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self) -> str:
        """Extra lines for the repr (after the size and root); subclasses add theirs."""
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        for name in ("transforms", "transform", "target_transform"):
            if getattr(self, name) is not None:
                lines.append(f"{name}: {getattr(self, name)!r}")
        body = "".join(f"\n    {line}" for line in lines)
        return f"Dataset {type(self).__name__}{body}"
