"""Inference backends behind one small interface keyed by tensor name.

base.py is the interface only; factory.py picks an implementation, each of which imports its
runtime only inside its own module.
"""
