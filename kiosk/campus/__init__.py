"""Campus knowledge: the packaged KB, model-free question understanding, templated answers."""
