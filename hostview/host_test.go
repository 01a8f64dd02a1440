package hostview

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSubIDs(t *testing.T) {
	in := "# comment\nalice:100000:65536\nbob:200000:65536\n1000:300000:10\nbad line\n"
	got, err := parseSubIDs(strings.NewReader(in), "alice", 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := []SubIDRange{{100000, 65536}, {300000, 10}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v want %+v", got, want)
	}
}
