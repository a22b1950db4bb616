"""Barcode scanners: serial and keyboard-wedge input, frame assembly. No Textual here."""
