"""The store lead's screens: the lead's home, the heat map (counts, slotting and the board come
next, issue 14)."""
