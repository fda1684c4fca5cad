from gigscan.cli import main

main()
