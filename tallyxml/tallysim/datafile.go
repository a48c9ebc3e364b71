package tallysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// dataFile is the -data JSON format (documented in doc.go).
type dataFile struct {
	Companies []companyFile `json:"companies"`
}

type companyFile struct {
	Name      string        `json:"name"`
	GUID      string        `json:"guid,omitempty"`
	State     string        `json:"state,omitempty"`
	Country   string        `json:"country,omitempty"`
	GSTIN     string        `json:"gstin,omitempty"`
	Address   []string      `json:"address,omitempty"`
	Pincode   string        `json:"pincode,omitempty"`
	Phone     string        `json:"phone,omitempty"`
	Email     string        `json:"email,omitempty"`
	BooksFrom tallyxml.Date `json:"booksFrom,omitzero"`
	Groups    []Group       `json:"groups,omitempty"`
	Ledgers   []Ledger      `json:"ledgers,omitempty"`
	Items     []StockItem   `json:"stockItems,omitempty"`
	Vouchers  []Voucher     `json:"vouchers,omitempty"`
}

// LoadFile reads companies from a -data JSON file. today fills in defaults:
// a company without booksFrom starts on 1 April of the financial year before
// the one containing today.
func LoadFile(path string, today tallyxml.Date) ([]*Company, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tallysim: load data: %w", err)
	}
	defer f.Close()
	cs, err := ReadJSON(f, today)
	if err != nil {
		return nil, fmt.Errorf("tallysim: load %s: %w", path, err)
	}
	return cs, nil
}

// ReadJSON reads companies in the -data JSON format.
func ReadJSON(r io.Reader, today tallyxml.Date) ([]*Company, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var df dataFile
	if err := dec.Decode(&df); err != nil {
		return nil, err
	}
	if len(df.Companies) == 0 {
		return nil, errors.New("no companies")
	}
	if today.IsZero() {
		today = TodayIST()
	}
	var out []*Company
	for _, cf := range df.Companies {
		c, err := cf.build(today)
		if err != nil {
			return nil, fmt.Errorf("company %q: %w", cf.Name, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (cf companyFile) build(today tallyxml.Date) (*Company, error) {
	if cf.Name == "" {
		return nil, errors.New("company without a name")
	}
	bf := cf.BooksFrom
	if bf.IsZero() {
		bf = tallyxml.NewDate(fyStart(today).Time().Year()-1, time.April, 1)
	}
	c := newCompany(cf.Name, cf.GUID, bf)
	c.state, c.country, c.gstin = cf.State, cf.Country, cf.GSTIN
	c.address, c.pincode, c.phone, c.email = cf.Address, cf.Pincode, cf.Phone, cf.Email
	if c.country == "" {
		c.country = "India"
	}
	// Groups may name a parent defined later in the file: add in passes.
	pending := cf.Groups
	for len(pending) > 0 {
		var next []Group
		for _, g := range pending {
			if g.Parent != "" && c.group(g.Parent) == nil {
				next = append(next, g)
				continue
			}
			if err := c.addGroup(g); err != nil {
				return nil, err
			}
		}
		if len(next) == len(pending) {
			return nil, errors.New(groupMissingText(next[0].Parent))
		}
		pending = next
	}
	for _, l := range cf.Ledgers {
		if ex := c.ledger(l.Name); ex != nil {
			// Cash and Profit & Loss A/c exist in every company: the file's
			// version replaces them.
			if l.MasterID == 0 {
				l.MasterID, l.AlterID, l.GUID = ex.MasterID, ex.AlterID, ex.GUID
			}
			if l.GUID == "" {
				l.GUID = c.masterGUID(l.MasterID)
			}
			*ex = copyLedger(&l)
			c.lastMasterID = max(c.lastMasterID, l.MasterID)
			c.lastAlterID = max(c.lastAlterID, l.AlterID)
			continue
		}
		if err := c.addLedger(l); err != nil {
			return nil, err
		}
	}
	for _, it := range cf.Items {
		if err := c.addStockItem(it); err != nil {
			return nil, err
		}
	}
	for _, v := range cf.Vouchers {
		if v.Cancelled {
			v.Entries, v.Inventory = nil, nil
		} else if msg := c.validateVoucher(&v); msg != "" {
			return nil, fmt.Errorf("voucher %s %s of %s: %s", v.Type, v.Number, v.Date, msg)
		}
		v = copyVoucher(&v)
		c.storeNewVoucher(&v)
	}
	return c, nil
}

// WriteJSON writes companies in the -data JSON format (what tallysim
// -dump-demo prints). Predefined groups are left out: every company has them.
func WriteJSON(w io.Writer, companies ...*Company) error {
	var df dataFile
	for _, c := range companies {
		c.mu.Lock()
		cf := companyFile{Name: c.name, GUID: c.guid, State: c.state, Country: c.country, GSTIN: c.gstin,
			Address: c.address, Pincode: c.pincode, Phone: c.phone, Email: c.email, BooksFrom: c.booksFrom}
		for _, g := range c.groups {
			if !g.Predefined {
				cf.Groups = append(cf.Groups, *g)
			}
		}
		for _, l := range c.ledgers {
			cf.Ledgers = append(cf.Ledgers, copyLedger(l))
		}
		for _, it := range c.sortedItems() {
			cf.Items = append(cf.Items, *it)
		}
		for _, v := range c.sortedVouchers() {
			cf.Vouchers = append(cf.Vouchers, copyVoucher(v))
		}
		c.mu.Unlock()
		df.Companies = append(df.Companies, cf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(df)
}
