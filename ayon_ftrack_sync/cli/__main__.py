from ayon_ftrack_sync.cli.app import main

main()
