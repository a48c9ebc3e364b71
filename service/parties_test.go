package service_test

import (
	"strings"
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
)

// withLedgers adds ledgers (and the groups they need) to a fake.
func withLedgers(f *fakeGateway, groups []service.Master, ledgers ...service.Party) *fakeGateway {
	f.groups = append(f.groups, groups...)
	for _, l := range ledgers {
		f.ledgers[strings.ToLower(l.Name)] = l
	}
	return f
}

// partyBooks is the fake's books with the ledgers a chatbot must not read
// and parties in a sub-group two levels down and under Sundry Creditors.
func partyBooks() *fakeGateway {
	return withLedgers(newFake(),
		[]service.Master{{Name: "West Debtors", Parent: "Sundry Debtors"}, {Name: "Pune Debtors", Parent: "West Debtors"},
			{Name: "Staff Loans", Parent: "Loans & Advances (Asset)"}},
		service.Party{Name: "HDFC Bank", Group: "Bank Accounts"},
		service.Party{Name: "Cash", Group: "Cash-in-Hand"},
		service.Party{Name: "Kulkarni Traders", Group: "Pune Debtors", State: "Maharashtra"},
		service.Party{Name: "Bharat Steel Suppliers", Group: "Sundry Creditors"},
		service.Party{Name: "Ravi Loan", Group: "Staff Loans"},
	)
}

func TestPartyReadsKeepToThePartyGroups(t *testing.T) {
	t.Parallel()
	f := partyBooks()
	svc := newService(f)
	for _, tc := range []struct {
		name  string
		found bool
	}{
		{"HDFC Bank", false}, {"Cash", false}, {"Sales", false}, {"CGST", false}, {"Ravi Loan", false}, {"Nobody", false},
		{"Rajesh Enterprises", true}, {"Kulkarni Traders", true}, {"Bharat Steel Suppliers", true},
	} {
		for _, read := range []func() (service.Party, error){
			func() (service.Party, error) { return svc.GetParty(t.Context(), "", tc.name) },
			func() (service.Party, error) {
				b, err := svc.PartyBalance(t.Context(), "", tc.name)
				return b.Party, err
			},
		} {
			p, err := read()
			if tc.found {
				if err != nil || p.Name != tc.name {
					t.Errorf("%s: %+v, %v; want the party", tc.name, p, err)
				}
				continue
			}
			e, ok := service.AsError(err)
			want := `party "` + tc.name + `" does not exist in company "ABC Traders"`
			if !ok || e.Kind != service.NotFound || e.Code != "party_not_found" || e.Message != want || p.Name != "" {
				t.Errorf("%s: %+v, %v; want party_not_found %q, as for a missing party", tc.name, p, err, want)
			}
		}
	}
	// The group tree is read once and cached.
	if n := f.calls["Groups"]; n != 1 {
		t.Errorf("%d group tree reads; want 1", n)
	}
}

func TestPartyReadDirectlyUnderAPartyGroupIsOneRequest(t *testing.T) {
	t.Parallel()
	f := partyBooks()
	svc := newService(f)
	if _, err := svc.PartyBalance(t.Context(), "", "Rajesh Enterprises"); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 1 || f.calls["Party"] != 1 {
		t.Errorf("calls %v; want one Party read", f.calls)
	}
}

func TestConfiguredPartyGroups(t *testing.T) {
	t.Parallel()
	f := partyBooks()
	svc := service.New(f, service.Config{Company: "ABC Traders", PartyGroups: []string{"West Debtors"}})
	if _, err := svc.GetParty(t.Context(), "", "Kulkarni Traders"); err != nil {
		t.Errorf("a party in a sub-group of a configured group: %v", err)
	}
	for _, name := range []string{"Rajesh Enterprises", "Bharat Steel Suppliers"} {
		if _, err := svc.GetParty(t.Context(), "", name); service.KindOf(err) != service.NotFound {
			t.Errorf("%s, outside the configured groups: %v; want party_not_found", name, err)
		}
	}
}

func TestPartyGroupQueries(t *testing.T) {
	t.Parallel()
	f := partyBooks()
	svc := newService(f)
	for _, group := range []string{"Bank Accounts", "Cash-in-Hand", "Sales Accounts", "Duties & Taxes", "Staff Loans", "No Such Group"} {
		_, err := svc.CreateParty(t.Context(), "", service.NewParty{Name: "Someone New", Group: group})
		if e, ok := service.AsError(err); !ok || e.Kind != service.Invalid || e.Code != "not_a_party_group" ||
			!strings.Contains(e.Message, "'Sundry Debtors', 'Sundry Creditors'") {
			t.Errorf("create under %s: %v; want not_a_party_group naming the party groups", group, err)
		}
		if _, err := svc.ListParties(t.Context(), service.PartyQuery{Group: group}); service.KindOf(err) != service.Invalid {
			t.Errorf("list %s: %v; want not_a_party_group", group, err)
		}
		if _, err := svc.Reminders(t.Context(), service.ReminderQuery{Group: group}); service.KindOf(err) != service.Invalid {
			t.Errorf("reminders of %s: %v; want not_a_party_group", group, err)
		}
	}
	if len(f.created) != 0 {
		t.Fatalf("created %+v", f.created)
	}
	for _, group := range []string{"Pune Debtors", "Sundry Creditors"} {
		if _, err := svc.CreateParty(t.Context(), "", service.NewParty{Name: "New in " + group, Group: group}); err != nil {
			t.Errorf("create under %s: %v", group, err)
		}
	}
}

func TestReceivablesOfALedgerThatIsNotAParty(t *testing.T) {
	t.Parallel()
	f := partyBooks()
	// A bill-wise staff loan is in Bills Receivable: the report scopes by
	// balance sign, not by group (tally-protocol.md §9.3 D).
	f.bills = []service.Bill{{Party: "Ravi Loan", Ref: "LOAN/1", Date: today, Pending: service.NewBalance(-500000)},
		{Party: "Kulkarni Traders", Ref: "S/1", Date: today, Pending: service.NewBalance(-100000)}}
	svc := newService(f)
	got, err := svc.Receivables(t.Context(), service.ReceivablesQuery{Party: "Ravi Loan"})
	if err != nil || got.Bills != 0 || len(got.Parties) != 0 {
		t.Errorf("receivables of a staff loan = %+v, %v; want none", got, err)
	}
	got, err = svc.Receivables(t.Context(), service.ReceivablesQuery{Party: "kulkarni traders"})
	if err != nil || got.Bills != 1 {
		t.Errorf("receivables of a party in a sub-group = %+v, %v; want its bill", got, err)
	}
}

func TestValidateNameRefusesInvisibleCharacters(t *testing.T) {
	t.Parallel()
	for _, r := range []rune{0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF} {
		name := "Rajesh" + string(r) + " Enterprises"
		if e, ok := service.AsError(service.ValidateName("name", name)); !ok || e.Code != "invalid_name" || e.Kind != service.Invalid {
			t.Errorf("U+%04X: %v; want invalid_name", r, e)
		}
	}
	for _, name := range []string{"Rajesh Enterprises", "गणेश ट्रेडर्स", "D'Souza & Co.", "Café Noir"} {
		if err := service.ValidateName("name", name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
}

func TestCreatePartyFindsANearTwin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, want, code string }{
		{"rajesh  enterprises", "Rajesh Enterprises", "party_exists"},
		{"RAJESH ENTERPRISES ", "Rajesh Enterprises", "party_exists"},
		{"  Rajesh Enterprises", "Rajesh Enterprises", "party_exists"},
		{"Rajesh-Enterprises", "Rajesh Enterprises", "party_exists"},
		{"Sharma & Sons", "Sharma & Sons", "party_exists"},
		{"Kulkarni  Traders", "Kulkarni Traders", "party_exists"},
		{"hdfc  bank", "", "ledger_exists"},
		{"HDFC Bank", "", "ledger_exists"},
	} {
		f := partyBooks()
		svc := newService(f)
		_, err := svc.CreateParty(t.Context(), "", service.NewParty{Name: tc.name})
		e, ok := service.AsError(err)
		if !ok || e.Kind != service.Conflict || e.Code != tc.code {
			t.Errorf("%q: %v; want %s", tc.name, err, tc.code)
			continue
		}
		p, _ := e.Subject.(service.Party)
		if p.Name != tc.want {
			t.Errorf("%q: subject %+v; want %q", tc.name, e.Subject, tc.want)
		}
		if len(f.created) != 0 {
			t.Errorf("%q: created %+v", tc.name, f.created)
		}
	}
	for _, name := range []string{"Rajesh\u200b Enterprises", "Rajesh\u202e Enterprises"} {
		f := partyBooks()
		_, err := newService(f).CreateParty(t.Context(), "", service.NewParty{Name: name})
		if e, ok := service.AsError(err); !ok || e.Code != "invalid_name" || len(f.created) != 0 {
			t.Errorf("%q: %v, created %+v; want invalid_name", name, err, f.created)
		}
	}
}

func TestOrderForANearTwinPostsToTheParty(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"RAJESH ENTERPRISES ", "Rajesh  Enterprises", "rajesh-enterprises", "kulkarni  traders"} {
		f := partyBooks()
		svc := newService(f)
		res, err := svc.ExecuteOrder(t.Context(), service.Order{Party: service.NewParty{Name: name},
			Lines: []service.OrderLine{{Item: "Steel rod", Quantity: dec("1"), Rate: 10000}}})
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		want := "Rajesh Enterprises"
		if strings.HasPrefix(strings.ToLower(name), "kulkarni") {
			want = "Kulkarni Traders"
		}
		if res.Party != want || res.PartyCreated || len(f.created) != 0 {
			t.Errorf("%q: posted to %q (created %v, %+v); want the existing %q", name, res.Party, res.PartyCreated, f.created, want)
		}
	}
	for _, name := range []string{"Cash", "hdfc  bank", "Ravi Loan"} {
		f := partyBooks()
		_, err := newService(f).ExecuteOrder(t.Context(), service.Order{Party: service.NewParty{Name: name},
			Lines: []service.OrderLine{{Item: "Steel rod", Quantity: dec("1"), Rate: 10000}}})
		if e, ok := service.AsError(err); !ok || e.Code != "party_not_a_customer" || len(f.created) != 0 {
			t.Errorf("%q: %v, created %+v; want party_not_a_customer", name, err, f.created)
		}
	}
}

func TestWhatsAppProfileNameLosesInvisibleCharacters(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	item := waItem("saree-cotton", "1", "1000", "INR")
	if _, err := deliver(svc, msgs(waOrderMsg("wamid.ZW1", "919844455566", "Priya\u200b Textiles", item),
		waOrderMsg("wamid.ZW2", "919855566677", "Meera\u2066 Silks\u2069", item),
		waOrderMsg("wamid.ZW3", "919866677788", "priya-textiles", item))); err != nil {
		t.Fatal(err)
	}
	postAll(t, svc, st)
	var got []string
	for _, p := range f.created {
		got = append(got, p.Name)
	}
	// "Priya Textiles" is an existing party with another mobile, and
	// "priya-textiles" its near-twin: neither is debited, both get the
	// number's last digits.
	want := map[string]bool{"Priya Textiles (5566)": true, "Meera Silks": true, "priya-textiles (7788)": true}
	if len(got) != len(want) {
		t.Fatalf("created %q; want %v", got, want)
	}
	for _, n := range got {
		if !want[n] {
			t.Errorf("created %q; want one of %v", n, want)
		}
	}
}
