"""Bag labels on paper and on file: PNG and SVG renderings, and the ZPL label printer (raw TCP
or a serial line). Devices only: bytes to a printer and files out; no Textual here."""
