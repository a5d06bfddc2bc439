"""What readers see: reader tables, sentences, charts, small-number suppression, saving tables and figures."""
