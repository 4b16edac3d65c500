"""Model architectures with torchvision's names, and their weights enums.

>>> from ember.vision import models
>>> models.resnet18(weights=None, num_classes=10)
"""
from ._api import (Weights, WeightsEnum, get_model, get_model_weights, get_weight,  # noqa: F401
                   list_models)
from .lenet import LeNet, lenet5  # noqa: F401
from .mobilenetv2 import MobileNetV2, MobileNet_V2_Weights, mobilenet_v2  # noqa: F401
from .resnet import (ResNet, ResNet18_Weights, ResNet34_Weights, ResNet50_Weights,  # noqa: F401
                     resnet18, resnet34, resnet50)
from .vgg import (VGG, VGG11_Weights, VGG16_Weights, vgg11, vgg11_bn, vgg16,  # noqa: F401
                  vgg16_bn)
