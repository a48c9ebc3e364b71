package service

import "context"

// The company's own details (name, address, GSTIN) are what a statement or
// an invoice copy prints at its head. The mirror keeps them, read with the
// list of companies at the initial load and again at each reconcile, so
// documents print while Tally is off.

// CompanyStore keeps the company's details in the mirror.
type CompanyStore interface {
	// SaveMirrorCompany writes the details of company (its key as
	// configured, c as Tally gave it).
	SaveMirrorCompany(ctx context.Context, company string, c Company) error
	// MirrorCompany reads them; NotFound when never saved.
	MirrorCompany(ctx context.Context, company string) (Company, error)
}

// saveCompany keeps the details of company from a list of Tally's
// companies, when it is in the list.
func (b *Books) saveCompany(ctx context.Context, company string, companies []Company) error {
	for _, c := range companies {
		if NameKey(c.Name) == NameKey(company) {
			return b.st.SaveMirrorCompany(ctx, company, c)
		}
	}
	return nil
}

// Company is the company's details from the mirror, for a document's head;
// only the name when the mirror has none yet.
func (b *Books) Company(ctx context.Context, company string) (Company, error) {
	company = b.svc.company(company)
	c, err := b.st.MirrorCompany(ctx, company)
	if KindOf(err) == NotFound {
		return Company{Name: company}, nil
	}
	return c, err
}
