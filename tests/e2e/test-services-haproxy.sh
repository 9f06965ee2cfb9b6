echo placeholder; exit 77
