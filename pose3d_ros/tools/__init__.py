"""Command-line tools (each module has a main())."""
