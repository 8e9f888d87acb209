"""Development scripts (training, setup): run from a checkout, not installed with synth."""
