"""The installed version of prefect-kling."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("prefect-kling")
except PackageNotFoundError:  # a source tree that was not installed
    __version__ = "0.0.0"
