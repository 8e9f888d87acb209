"""synth: feedback synthesis for community engagement.

Numbers come from code, words come from the LLM, and every claim is checked against the notes it cites.
"""

__version__ = "0.1.0"
