"""Text classifier (scikit-learn only, no database or web): features, training, evaluation, prediction."""
