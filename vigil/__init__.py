"""Vigil: tip deconfliction and child victim identification."""
