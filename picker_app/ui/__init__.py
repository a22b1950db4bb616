"""Textual UI: screens and widgets. Only calls the domain; decides nothing."""
