package main

import "embed"

// The help texts, printed by --help and 'govi help' (each followed by the
// exit codes), are in help/*.txt.
//
//go:embed help/*.txt
var helpFS embed.FS

func helpText(name string) string {
	b, err := helpFS.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

var (
	mainHelp      = helpText("main")
	exitCodesHelp = helpText("exit-codes")
	versionHelp   = helpText("version")
	examplesHelp  = helpText("examples")
	fitHelp       = helpText("fit")
	predictHelp   = helpText("predict")
)
