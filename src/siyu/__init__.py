"""siyu (私域): private-domain customer operations for e-commerce merchants."""

__version__ = "0.1.0"
