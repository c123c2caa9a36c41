from tenantctl.cli.main import main

main()
