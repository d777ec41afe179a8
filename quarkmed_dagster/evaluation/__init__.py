"""`quarkmed eval`: grade one user model with the current rubrics and judges."""
