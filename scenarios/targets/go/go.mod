module faultrun/scenarios/targets/go

go 1.19
