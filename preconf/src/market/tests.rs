//! Cross-file market tests.
