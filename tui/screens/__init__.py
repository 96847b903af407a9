"""The app's secondary screens: help, model picker, token inspector, dialogs."""
