"""The packer's screens: the totes waiting for packing, and the check of one order."""
