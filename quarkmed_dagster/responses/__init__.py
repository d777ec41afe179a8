"""Pure candidate-response logic: request building with full history (``requests``), and
import of responses produced elsewhere (``importing``: validate and match rows; ``inbox``:
the responses inbox; ``pending``: query files for queries given only as text)."""
