"""picker_app: the terminal app of a dark store's pickers, packers and store leads."""

__version__ = "0.1.0"
