"""A believable demo merchant (「安肌」 skincare) written as the platforms' own export files."""

from siyu.demo.generate import generate
from siyu.demo.manifest import DemoFile, DemoManifest, GroundTruth, ShopTruth

__all__ = ["DemoFile", "DemoManifest", "GroundTruth", "ShopTruth", "generate"]
