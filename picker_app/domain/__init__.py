"""Domain logic: plain Python with no IO and no UI (layouts, routing, barcodes, workflows)."""
