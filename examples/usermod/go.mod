module example.com/usermod

go 1.26.0

require github.com/ebmc/ebmc v0.0.0

require (
	github.com/alecthomas/participle/v2 v2.1.4 // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)

tool github.com/ebmc/ebmc/cmd/ebmc

replace github.com/ebmc/ebmc => ../..
