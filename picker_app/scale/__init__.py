"""The packing scale: an MT-SICS client over pyserial, a polling thread and a pty simulator.
Device code, no Textual: what the replies mean is `picker_app.domain.weighing`."""
