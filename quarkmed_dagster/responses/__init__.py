"""Pure candidate-response logic: request building with full history, file import."""
