"""drusilla's version: a leaf module, so any module can name it without importing the root.

pyproject.toml reads it too (`[tool.setuptools.dynamic]`), so this is the one place to bump it.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
