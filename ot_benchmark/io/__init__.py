"""Data in: the data contract, reading and validating a data folder, reference data, the synthetic generator."""
