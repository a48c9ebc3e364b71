package tallysim

import (
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// DemoCompanyName is the name of the built-in demo company (the one the
// WhatsApp guide's requests name).
const DemoCompanyName = "ABC Traders"

// DemoCompany builds "ABC Traders" (Maharashtra) relative to today so tests
// are deterministic: a dozen Sundry Debtors with the mobile numbers people
// really type, a few creditors, GST ledgers, and sales, receipts, payments,
// a journal and a contra over the last months, so that some bills are
// overdue and some are not. Rajesh Enterprises owes ₹48,500 on bill
// ABC/S/101, due on 10 June of today's year when that is at least 20 days
// past (the WhatsApp guide's reminder example), else 40 days before today.
// The books start on 1 April of the previous financial year.
func DemoCompany(today tallyxml.Date) *Company {
	if today.IsZero() {
		today = TodayIST()
	}
	fy := fyStart(today)
	c := NewCompany(DemoCompanyName, tallyxml.NewDate(fy.Time().Year()-1, time.April, 1))
	c.SetProfile("Maharashtra", "India", "27AABCA1234F1Z5")
	c.SetContact([]string{"Shop 4, Crawford Market", "Lokmanya Tilak Marg, Mumbai"}, "400001", "022 2262 1234", "accounts@abctraders.in")

	ledgers := []Ledger{
		{Name: "Proprietor's Capital", Parent: "Capital Account", OpeningBalance: tallyxml.Paise(50000000)},
		{Name: "HDFC Bank", Parent: "Bank Accounts", OpeningBalance: tallyxml.Paise(-40000000)},
		{Name: "Sales", Parent: "Sales Accounts"},
		{Name: "Purchase", Parent: "Purchase Accounts"},
		{Name: "Freight Charges", Parent: "Direct Expenses"},
		{Name: "Office Rent", Parent: "Indirect Expenses"},
		{Name: "CGST", Parent: "Duties & Taxes", TaxType: "GST", GSTDutyHead: "Central Tax"},
		{Name: "SGST", Parent: "Duties & Taxes", TaxType: "GST", GSTDutyHead: "State Tax"},
		{Name: "IGST", Parent: "Duties & Taxes", TaxType: "GST", GSTDutyHead: "Integrated Tax"},
	}
	debtor := func(name, mobile, email, state, gstin string, days int) Ledger {
		l := Ledger{Name: name, Parent: "Sundry Debtors", Mobile: mobile, Email: email, State: state,
			Country: "India", GSTIN: gstin, BillWise: true, CreditPeriodDays: days}
		l.GSTRegistrationType = "Unregistered/Consumer"
		if gstin != "" {
			l.GSTRegistrationType = "Regular"
		}
		return l
	}
	debtors := []Ledger{
		debtor("Rajesh Enterprises", "9820012345", "accounts@rajeshenterprises.in", "Maharashtra", "27AAPFR1234C1Z5", 30),
		debtor("Priya Textiles", "98201 23456", "priya.textiles@gmail.com", "Maharashtra", "27AAKFP5678D1Z2", 30),
		debtor("Sharma & Sons", "09820034567", "sharmasons@yahoo.co.in", "Gujarat", "24AAJFS4321E1Z9", 45),
		debtor("गणेश ट्रेडर्स", "+91 98200 45678", "ganesh.traders@rediffmail.com", "Maharashtra", "", 30),
		debtor("A & B <Traders>", "91-9820056789", "ab.traders@example.in", "Karnataka", "29AAFFA7654B1Z3", 30),
		debtor(`Kumar "KK" Stores`, "", "kkstores@example.in", "Karnataka", "", 15),
		debtor("D'Souza & Co.", "12345", "dsouza.co@example.in", "Maharashtra", "", 30),
		debtor("Mehta Hardware", "9821098765", "mehta.hw@example.in", "Gujarat", "24AAGFM1122K1Z4", 30),
		debtor("Iyer Electronics", "+919845012345", "iyer.elec@example.in", "Karnataka", "29AABFI3344L1Z6", 30),
		debtor("Patel Brothers", "9825011122", "patelbros@example.in", "Gujarat", "24AACFP5566M1Z8", 15),
		debtor("Gupta General Stores", "98330 22211", "", "Maharashtra", "", 30),
		debtor("Nair Agencies", "9847033344", "nair.agencies@example.in", "Karnataka", "", 30),
	}
	debtors[0].Address = []string{"12, Kalbadevi Road", "Mumbai"}
	debtors[0].Pincode = "400002"
	creditors := []Ledger{
		{Name: "Bharat Steel Suppliers", Parent: "Sundry Creditors", Mobile: "9822098220", State: "Maharashtra",
			Country: "India", GSTIN: "27AABFB9988N1Z1", GSTRegistrationType: "Regular", BillWise: true, CreditPeriodDays: 30},
		{Name: "Shree Packaging", Parent: "Sundry Creditors", Mobile: "9879012345", State: "Gujarat",
			Country: "India", GSTIN: "24AAHFS7766P1Z7", GSTRegistrationType: "Regular", BillWise: true, CreditPeriodDays: 15},
		{Name: "Vijay Transport", Parent: "Sundry Creditors", Mobile: "9920011223", State: "Maharashtra", Country: "India"},
	}
	// Cash opening balance makes the openings balance: 5,00,000 Cr capital =
	// 4,00,000 Dr bank + 1,00,000 Dr cash.
	c.ledger("Cash").OpeningBalance = tallyxml.Paise(-10000000)
	for _, group := range [][]Ledger{ledgers, debtors, creditors} {
		for _, l := range group {
			l.LanguageID = 1033
			c.mustAddLedger(l)
		}
	}

	d := func(n int) tallyxml.Date { return today.AddDays(-n) }
	rs := func(rupees int64) tallyxml.Amount { return tallyxml.Paise(rupees * 100) }
	numbers := map[string]int{}
	add := func(v Voucher) {
		numbers[v.Type]++
		if v.Number == "" {
			v.Number = strconv.Itoa(numbers[v.Type])
		}
		if _, err := c.AddVoucher(v); err != nil {
			panic("tallysim: demo voucher: " + err.Error())
		}
	}
	// sale posts a GST sale of base rupees: CGST+SGST 9% each within
	// Maharashtra, IGST 18% otherwise.
	sale := func(date tallyxml.Date, party, ref string, base int64, due tallyxml.Date) {
		l := c.ledger(party)
		total := base + base*18/100
		entries := []Entry{{Ledger: party, Amount: rs(-total),
			Bills: []BillAllocation{{Name: ref, Type: NewRef, Amount: rs(-total), DueDate: due}}},
			{Ledger: "Sales", Amount: rs(base)}}
		if l.State == "Maharashtra" {
			entries = append(entries, Entry{Ledger: "CGST", Amount: rs(base * 9 / 100)}, Entry{Ledger: "SGST", Amount: rs(base * 9 / 100)})
		} else {
			entries = append(entries, Entry{Ledger: "IGST", Amount: rs(base * 18 / 100)})
		}
		add(Voucher{Type: "Sales", Date: date, Party: party, Narration: "Sale against " + ref, Entries: entries})
	}
	receipt := func(date tallyxml.Date, party, ref, billType string, rupees int64) {
		add(Voucher{Type: "Receipt", Date: date, Party: party, Narration: "Received from " + party,
			Entries: []Entry{
				{Ledger: party, Amount: rs(rupees), Bills: []BillAllocation{{Name: ref, Type: billType, Amount: rs(rupees)}}},
				{Ledger: "HDFC Bank", Amount: rs(-rupees)},
			}})
	}

	// Rajesh Enterprises: ₹58,410 sale (49,500 + 9% + 9%), ₹9,910 received
	// against it, ₹48,500 outstanding and overdue.
	due := tallyxml.NewDate(today.Time().Year(), time.June, 10)
	if today.DaysSince(due) < 20 {
		due = d(40)
	}
	sale(due.AddDays(-30), "Rajesh Enterprises", "ABC/S/101", 49500, due)
	receipt(due.AddDays(-5), "Rajesh Enterprises", "ABC/S/101", AgstRef, 9910)

	sale(d(20), "Priya Textiles", "ABC/S/102", 20000, tallyxml.Date{})      // not yet due
	sale(d(75), "Sharma & Sons", "ABC/S/103", 30000, tallyxml.Date{})       // overdue (IGST)
	sale(d(50), "गणेश ट्रेडर्स", "ABC/S/104", 10000, tallyxml.Date{})       // settled below
	receipt(d(10), "गणेश ट्रेडर्स", "ABC/S/104", AgstRef, 11800)            //
	sale(d(40), "A & B <Traders>", "ABC/S/105", 15000, tallyxml.Date{})     // overdue, part paid
	receipt(d(8), "A & B <Traders>", "ABC/S/105", AgstRef, 5000)            //
	sale(d(5), `Kumar "KK" Stores`, "ABC/S/106", 5000, tallyxml.Date{})     // not yet due
	sale(d(95), "D'Souza & Co.", "ABC/S/107", 8000, tallyxml.Date{})        // long overdue
	sale(d(60), "Mehta Hardware", "ABC/S/108", 12000, tallyxml.Date{})      // overdue
	receipt(d(15), "Mehta Hardware", "", OnAccount, 2000)                   // On Account: not a bill
	sale(d(100), "Iyer Electronics", "ABC/S/109", 25000, tallyxml.Date{})   // settled below
	receipt(d(70), "Iyer Electronics", "ABC/S/109", AgstRef, 29500)         //
	sale(d(25), "Patel Brothers", "ABC/S/110", 40000, tallyxml.Date{})      // overdue by 10 days
	sale(d(80), "Gupta General Stores", "ABC/S/111", 4000, tallyxml.Date{}) // overdue
	sale(d(35), "Gupta General Stores", "ABC/S/112", 6000, tallyxml.Date{}) // overdue by 5 days
	receipt(d(12), "Nair Agencies", "ADV-NAIR-1", Advance, 10000)           // customer advance: a payable

	// Purchases and payments.
	add(Voucher{Type: "Purchase", Date: d(45), Party: "Bharat Steel Suppliers", Narration: "Steel sheets, bill BSS/1123",
		Entries: []Entry{
			{Ledger: "Bharat Steel Suppliers", Amount: rs(59000), Bills: []BillAllocation{{Name: "BSS/1123", Type: NewRef, Amount: rs(59000)}}},
			{Ledger: "Purchase", Amount: rs(-50000)},
			{Ledger: "CGST", Amount: rs(-4500)},
			{Ledger: "SGST", Amount: rs(-4500)},
		}})
	add(Voucher{Type: "Payment", Date: d(20), Party: "Bharat Steel Suppliers", Narration: "Part payment BSS/1123",
		Entries: []Entry{
			{Ledger: "Bharat Steel Suppliers", Amount: rs(-30000), Bills: []BillAllocation{{Name: "BSS/1123", Type: AgstRef, Amount: rs(-30000)}}},
			{Ledger: "HDFC Bank", Amount: rs(30000)},
		}})
	// An advance to a supplier leaves a debit bill: it shows in Bills Receivable.
	add(Voucher{Type: "Payment", Date: d(8), Party: "Shree Packaging", Narration: "Advance for cartons",
		Entries: []Entry{
			{Ledger: "Shree Packaging", Amount: rs(-15000), Bills: []BillAllocation{{Name: "SP-ADV-01", Type: Advance, Amount: rs(-15000)}}},
			{Ledger: "HDFC Bank", Amount: rs(15000)},
		}})
	add(Voucher{Type: "Journal", Date: d(30), Narration: "Freight for inward steel",
		Entries: []Entry{{Ledger: "Freight Charges", Amount: rs(-3000)}, {Ledger: "Vijay Transport", Amount: rs(3000)}}})
	add(Voucher{Type: "Payment", Date: d(28), Party: "Vijay Transport", Narration: "Freight paid",
		Entries: []Entry{{Ledger: "Vijay Transport", Amount: rs(-3000)}, {Ledger: "Cash", Amount: rs(3000)}}})
	add(Voucher{Type: "Payment", Date: d(33), Party: "HDFC Bank", Narration: "Office rent",
		Entries: []Entry{{Ledger: "Office Rent", Amount: rs(-25000)}, {Ledger: "HDFC Bank", Amount: rs(25000)}}})
	add(Voucher{Type: "Contra", Date: d(18), Party: "HDFC Bank", Narration: "Cash deposited",
		Entries: []Entry{{Ledger: "HDFC Bank", Amount: rs(-20000)}, {Ledger: "Cash", Amount: rs(20000)}}})
	add(Voucher{Type: "Receipt", Date: d(90), Narration: "Counter cash sales",
		Entries: []Entry{{Ledger: "Cash", Amount: rs(-50000)}, {Ledger: "Sales", Amount: rs(50000)}}})

	// Stock items, added last so that the ids of the masters and vouchers
	// above stay what they were before items existed.
	for _, it := range DemoStockItems() {
		if err := c.addStockItem(it); err != nil {
			panic("tallysim: demo stock item: " + err.Error())
		}
	}
	return c
}

// DemoStockItems are the demo company's stock items: one per GST slab the
// demo needs (5, 18, 28%), in whole and fractional units.
func DemoStockItems() []StockItem {
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	rs := func(paise int64) tallyxml.Amount { return tallyxml.Paise(paise) }
	return []StockItem{
		{Name: "Steel Sheet 4x8", Parent: "Steel", BaseUnits: "Nos", HSN: "7208", GSTRate: d("18"),
			StandardRate: rs(250000), OpeningQty: d("120"), OpeningRate: rs(200000)},
		{Name: "Cement Bag 50kg", Parent: "Building Material", BaseUnits: "Bags", HSN: "2523", GSTRate: d("28"),
			StandardRate: rs(42000), OpeningQty: d("300"), OpeningRate: rs(36000)},
		{Name: "PVC Pipe 1 inch", Parent: "Plumbing", BaseUnits: "Nos", HSN: "3917", GSTRate: d("18"),
			StandardRate: rs(18000), OpeningQty: d("500"), OpeningRate: rs(14000)},
		{Name: "Copper Wire 1.5mm", Parent: "Electricals", BaseUnits: "Mtr", HSN: "7408", GSTRate: d("18"),
			StandardRate: rs(3250), OpeningQty: d("1000"), OpeningRate: rs(2700)},
		{Name: "Cotton Fabric", Parent: "Textiles", BaseUnits: "Kg", HSN: "5208", GSTRate: d("5"),
			StandardRate: rs(35000), OpeningQty: d("80.5"), OpeningRate: rs(29000)},
	}
}
