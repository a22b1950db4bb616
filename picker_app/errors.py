"""The one exception family of picker_app: a plain sentence for the person at the scanner."""


class PickerError(Exception):
    """Base of every error picker_app expects; `str(err)` is the sentence to show a person."""


class UserError(PickerError):
    """Bad input from a person or a file (layout, bin code, orders line): CLI exit status 2."""
