"""The `kiosk train` subcommand: parser and handler, kept import-light (no torch) so that
`kiosk --help` stays fast; the stages import their heavy libraries when they run."""

from kiosk.train.pipeline import add_parser, command

__all__ = ["add_parser", "command"]
