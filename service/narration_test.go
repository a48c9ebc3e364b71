package service

import "testing"

// TestMarkedRemoteID: the REMOTEID an order's narration marker carries is
// read back from the narration as Tally keeps it, and nothing else passes
// for one.
func TestMarkedRemoteID(t *testing.T) {
	id := RemoteID(RemoteIDNamespace, "order\x00abc")
	for _, tc := range []struct {
		narration, want string
	}{
		{narrationMarker(id), id},
		{"WhatsApp order WA-1 from +919820012345: 2 sarees " + narrationMarker(id), id},
		{narrationMarker(id) + " edited by a clerk", id},
		{"no marker", ""},
		{"[tallyfacade:not-a-uuid]", ""},
		{"[tallyfacade:" + id, ""},
		{"", ""},
	} {
		if got := markedRemoteID(tc.narration); got != tc.want {
			t.Errorf("markedRemoteID(%q) = %q, want %q", tc.narration, got, tc.want)
		}
	}
}
