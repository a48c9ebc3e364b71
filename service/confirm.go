package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Invoice confirmations from the books: every Sales voucher that appears in
// the mirror after its first load (whoever made it: an API order, a WhatsApp
// order, a clerk keying it into Tally) gets one WhatsApp message to its
// party, when the party has a usable mobile.
//
// "Appears" is decided by the sync itself: before an incremental sync writes
// a batch of vouchers, the Sales vouchers among them that the mirror does not
// hold yet are put in an outbox (the store's invoice_confirmations, keyed by
// company and the voucher's MasterID) in their own write, ahead of the
// batch. A sync cut short after that write finds the same vouchers still
// missing and adds nothing twice; one cut short before it finds them again.
// The vouchers of the first load are history (years of invoices, customers
// long since served) and are never confirmed: the first load does not call
// the watcher. An altered voucher (an amount corrected) is already in the
// mirror, so it is not confirmed again. A voucher posted by a WhatsApp
// order, when the service confirms such orders itself (WhatsAppConfig's
// Confirm) and the order posted inside the 24-hour window its message
// opened, is recorded as already sent: its customer was told when it
// posted, and two messages for one order is one too many (toldByOrder).
//
// Sending goes through sendOnce, the reminders' machinery: the claim of
// "confirm-invoice:<company>:<MasterID>" decides across replicas who sends,
// and a send whose answer was lost is never claimed again. A refused send is
// tried again by later dispatches, up to MaxAttempts.

// The states of an invoice confirmation in the outbox.
const (
	ConfirmPending  = "pending"   // to send
	ConfirmNoMobile = "no_mobile" // the party has no usable mobile: nothing to send
	ConfirmSent     = "sent"
	// ConfirmUnknown: the provider's answer was lost; the message may have
	// gone, so it is not sent again.
	ConfirmUnknown = "unknown"
	// ConfirmAlreadySent: another replica's claim was found (it sent, or
	// is sending).
	ConfirmAlreadySent = "already_sent"
	ConfirmFailed      = "failed" // refused MaxAttempts times
)

// InvoiceConfirmation is one Sales voucher's confirmation in the outbox.
type InvoiceConfirmation struct {
	Company   string // as configured; the store keys it by NameKey
	VoucherID int64  // the voucher's MasterID in Tally
	GUID      string
	Number    string
	Date      time.Time
	Party     string
	Mobile    Mobile // its E164 is "" when Status is ConfirmNoMobile
	Amount    Paise  // the invoice value, positive
	Message   string
	Status    string
	Attempts  int // dispatches that tried it
	Error     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConfirmationOutcome is the end of one dispatch of a confirmation.
type ConfirmationOutcome struct {
	Company   string
	VoucherID int64
	Status    string // ConfirmPending again after a refused send that may be retried
	Error     string
	// Claimed is set by the dispatch that claimed the send: its outcome
	// stands. Another's (it found the claim taken) only updates a
	// confirmation still pending, so it never hides the claimant's.
	Claimed bool
	Now     time.Time
}

// ConfirmStore is the outbox of invoice confirmations, and what it needs of
// the mirror.
type ConfirmStore interface {
	// AddConfirmations inserts confirmations; one already there (same
	// company and VoucherID) is left as it is.
	AddConfirmations(ctx context.Context, cs []InvoiceConfirmation) error
	// PendingConfirmations lists up to limit pending confirmations of
	// company, oldest first.
	PendingConfirmations(ctx context.Context, company string, limit int) ([]InvoiceConfirmation, error)
	// ListConfirmations lists up to limit confirmations of company, newest
	// voucher first.
	ListConfirmations(ctx context.Context, company string, limit int) ([]InvoiceConfirmation, error)
	// FinishConfirmation records how a dispatch ended, counting it in
	// Attempts; an outcome not Claimed changes a pending confirmation only.
	FinishConfirmation(ctx context.Context, o ConfirmationOutcome) error
	// MirrorVouchersHeld returns those of ids (MasterIDs) the mirror holds.
	MirrorVouchersHeld(ctx context.Context, company string, ids []int64) ([]int64, error)
	// MirrorLedger reads one ledger by folded name (BooksStore's).
	MirrorLedger(ctx context.Context, company, key string) (MirrorLedger, Paise, error)
	// OrdersByRemoteID returns the stored orders whose RemoteID is among
	// remoteIDs, keyed by RemoteID; one not stored is absent.
	OrdersByRemoteID(ctx context.Context, remoteIDs []string) (map[string]OrderRecord, error)
}

// VoucherWatcher is told of each batch of vouchers an incremental sync is
// about to write (never those of the first load), before it is written; an
// error fails the sync, which then runs again.
type VoucherWatcher interface {
	Appearing(ctx context.Context, company string, vs []MirrorVoucher) error
}

// ConfirmConfig configures invoice confirmations.
type ConfirmConfig struct {
	// Sender delivers them: an approved template (a queued order can post
	// after WhatsApp's 24-hour window closed) or text.
	Sender Sender
	// Every is how often the outbox is looked at besides when a sync adds
	// to it (for another replica's additions and retries). Default 30s.
	Every time.Duration
	// MaxAttempts bounds the dispatches that try a refused send. Default 5.
	MaxAttempts int
}

// Confirmations sends invoice confirmations from the books.
type Confirmations struct {
	svc  *Service
	st   ConfirmStore
	cfg  ConfirmConfig
	wake chan struct{}
}

// NewConfirmations returns the invoice confirmations of svc's companies.
// Pass it as BooksConfig.Watch, and run Run.
func NewConfirmations(svc *Service, st ConfirmStore, cfg ConfirmConfig) *Confirmations {
	if cfg.Every <= 0 {
		cfg.Every = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	return &Confirmations{svc: svc, st: st, cfg: cfg, wake: make(chan struct{}, 1)}
}

// Appearing implements VoucherWatcher: the Sales vouchers of vs the mirror
// does not hold yet go to the outbox, pending when their party has a usable
// mobile.
func (c *Confirmations) Appearing(ctx context.Context, company string, vs []MirrorVoucher) error {
	var sales []MirrorVoucher
	for _, v := range vs {
		if v.IsSales() && !v.Cancelled && !v.Optional {
			sales = append(sales, v)
		}
	}
	if len(sales) == 0 {
		return nil
	}
	ids := make([]int64, len(sales))
	for i, v := range sales {
		ids[i] = v.MasterID
	}
	held, err := c.st.MirrorVouchersHeld(ctx, company, ids)
	if err != nil {
		return err
	}
	known := make(map[int64]bool, len(held))
	for _, id := range held {
		known[id] = true
	}
	byOrder, err := c.toldByOrder(ctx, sales)
	if err != nil {
		return err
	}
	now := c.svc.cfg.Now()
	var out []InvoiceConfirmation
	for _, v := range sales {
		if known[v.MasterID] {
			continue
		}
		ic := InvoiceConfirmation{Company: company, VoucherID: v.MasterID, GUID: v.GUID, Number: v.Number, Date: v.Date,
			Party: v.Party, Amount: VoucherValue(v), Status: ConfirmPending, CreatedAt: now, UpdatedAt: now}
		l, _, err := c.st.MirrorLedger(ctx, company, NameKey(v.Party))
		switch {
		case KindOf(err) == NotFound:
			ic.Mobile = NormalizeMobile("")
		case err != nil:
			return err
		default:
			ic.Mobile = l.Mobile
			if ic.Mobile.E164 == "" && ic.Mobile.Reason == "" {
				ic.Mobile = NormalizeMobile(l.Mobile.Raw)
			}
		}
		switch {
		case byOrder[v.MasterID]:
			ic.Status, ic.Error = ConfirmAlreadySent, "the customer was told when their WhatsApp order posted"
		case !ic.Mobile.Valid || ic.Mobile.E164 == "":
			ic.Status, ic.Error = ConfirmNoMobile, ic.Mobile.Reason
		}
		ic.Message = confirmationText(company, ic)
		out = append(out, ic)
	}
	if len(out) == 0 {
		return nil
	}
	if err := c.st.AddConfirmations(ctx, out); err != nil {
		return err
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// toldByOrder returns the MasterIDs of the vouchers of vs whose customer the
// order's own confirmation told: a WhatsApp order, posted inside the 24-hour
// window its message opened, when the service confirms such orders itself.
// The order is found by its REMOTEID on the voucher, or by its narration
// marker where a build rewrote the REMOTEID (tally-protocol.md §9.4).
func (c *Confirmations) toldByOrder(ctx context.Context, vs []MirrorVoucher) (map[int64]bool, error) {
	if c.svc.cfg.WhatsApp.Confirm == nil {
		return nil, nil
	}
	ids := map[int64][]string{}
	var all []string
	for _, v := range vs {
		for _, id := range []string{v.RemoteID, markedRemoteID(v.Narration)} {
			if id != "" {
				ids[v.MasterID] = append(ids[v.MasterID], id)
				all = append(all, id)
			}
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	orders, err := c.st.OrdersByRemoteID(ctx, all)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for mid, rids := range ids {
		for _, id := range rids {
			o, ok := orders[id]
			if !ok || o.Source != SourceWhatsApp {
				continue
			}
			// The sync can see the voucher before the order is recorded
			// posted (Tally has answered, the store not yet): its
			// confirmation is then about to go, now.
			at := c.svc.cfg.Now()
			if o.State == OrderPosted {
				at = o.PostedAt
			}
			if inServiceWindow(o, at) {
				out[mid] = true
			}
		}
	}
	return out, nil
}

// confirmationText is the confirmation a customer reads.
func confirmationText(company string, ic InvoiceConfirmation) string {
	inv := "Invoice " + ic.Number
	if strings.TrimSpace(ic.Number) == "" {
		inv = "Your invoice"
	}
	return fmt.Sprintf("Dear %s, thank you for your purchase. %s dated %s for %s is entered in our books. - %s",
		ic.Party, inv, reminderDate(ic.Date), ic.Amount.Rupees(), company)
}

// ConfirmKey is the send-once key of a voucher's confirmation.
func ConfirmKey(company string, voucherID int64) string {
	return "confirm-invoice:" + NameKey(company) + ":" + strconv.FormatInt(voucherID, 10)
}

// Dispatch sends the pending confirmations of company, each once across
// replicas, and returns how many it looked at. It stops at the first
// store failure.
func (c *Confirmations) Dispatch(ctx context.Context, company string) (int, error) {
	company = c.svc.company(company)
	pending, err := c.st.PendingConfirmations(ctx, company, 100)
	if err != nil || c.cfg.Sender == nil {
		return 0, err
	}
	for _, ic := range pending {
		d := ReminderDispatch{Key: ConfirmKey(company, ic.VoucherID), Reminder: Reminder{Party: ic.Party, Mobile: ic.Mobile}}
		claim := ReminderClaim{Key: d.Key, Company: company, Party: ic.Party, Mobile: ic.Mobile.E164, Day: ic.Date,
			Message: ic.Message, Now: c.svc.cfg.Now()}
		msg := ReminderMessage{Key: d.Key, Party: ic.Party, Mobile: ic.Mobile.E164, WhatsAppID: WhatsAppID(ic.Mobile.E164),
			Text: ic.Message, Fields: map[string]string{"party": ic.Party, "number": ic.Number, "date": reminderDate(ic.Date),
				"amount": ReminderAmount(ic.Amount), "company": company}}
		if err := c.svc.sendOnce(ctx, claim, msg, c.cfg.Sender, &d); err != nil {
			return 0, err
		}
		out := ConfirmationOutcome{Company: company, VoucherID: ic.VoucherID, Status: string(d.Status), Error: d.Error,
			Claimed: d.Status != ReminderAlreadySent, Now: c.svc.cfg.Now()}
		switch {
		case d.Status == ReminderFailed && ic.Attempts+1 < c.cfg.MaxAttempts:
			// Its claim may be taken again: a later dispatch tries it.
			out.Status = ConfirmPending
		case d.Status == ReminderAlreadySent && ic.Attempts+1 < c.cfg.MaxAttempts:
			// Another replica holds the claim and records the outcome;
			// left pending in case it never does (it died mid-send), until
			// MaxAttempts dispatches have found the claim taken.
			out.Status = ConfirmPending
		}
		if err := c.st.FinishConfirmation(ctx, out); err != nil {
			return 0, err
		}
	}
	return len(pending), nil
}

// Run dispatches company's confirmations until ctx ends: as soon as a sync
// adds some, and every Every. Failures are logged once each.
func (c *Confirmations) Run(ctx context.Context, company string) {
	t := time.NewTicker(c.cfg.Every)
	defer t.Stop()
	for {
		if _, err := c.Dispatch(ctx, company); err != nil && ctx.Err() == nil {
			c.svc.log.Warn("invoice confirmations: dispatch failed", "company", company, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.wake:
		}
	}
}

// rejectionText is what a WhatsApp customer is told of an order that
// cannot be taken: the reason in words they can act on (order again from
// the catalogue, in rupees, one kind of item at a time), never Tally's text.
func rejectionText(ref, code string) string {
	order := "your order"
	if ref != "" {
		order += " " + ref
	}
	const help = " or reply here and we will help."
	switch code {
	case "unknown_product":
		return "Sorry, we could not take " + order + ": some of its products cannot be ordered here yet. Please choose them again from our catalogue," + help
	case "unsupported_currency":
		return "Sorry, we could not take " + order + ": its prices are not in rupees (INR). Please order again from our catalogue," + help
	case "invalid_amount", "invalid_quantity", "order_no_lines", "invalid_order", "invalid_request":
		return "Sorry, we could not take " + order + ": we could not read its quantities or prices. Please send it again from our catalogue," + help
	case "mixed_sales_ledgers":
		return "Sorry, we could not take " + order + " as one order: its items are billed separately. Please order them in separate orders," + help
	}
	return "Sorry, we could not enter " + order + " in our books. We will look into it and contact you; reply here if you have any question."
}

// tellRejected tells the WhatsApp customer whose order was rejected, once
// (the claim of "order-rejected:<order id>", so a redelivered job or a
// retried order that is rejected again sends nothing twice), through the
// order confirmations' sender, in plain text while the 24-hour window the
// customer's message opened lasts (inServiceWindow); after it nothing is
// sent, since Meta would refuse it. Best effort: a failure is logged, and
// the order's state is what it is either way.
func (s *Service) tellRejected(ctx context.Context, rec OrderRecord, cause error) {
	snd := s.cfg.WhatsApp.Confirm
	if snd == nil || rec.Source != SourceWhatsApp {
		return
	}
	if !inServiceWindow(rec, s.cfg.Now()) {
		s.log.InfoContext(ctx, "rejected order: the customer is not told, WhatsApp's 24-hour window has closed", "order_id", rec.ID)
		return
	}
	o, _, err := decodeStoredOrder(rec.Request)
	if err != nil {
		return
	}
	m := NormalizeMobile(o.Party.Mobile)
	if !m.Valid {
		return // an unusable sender (unknown_sender) cannot be told
	}
	_, code := errorText(cause)
	text := rejectionText(rec.Ref, code)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	d := ReminderDispatch{Key: "order-rejected:" + rec.ID, Reminder: Reminder{Party: rec.Party, Mobile: m}}
	claim := ReminderClaim{Key: d.Key, Company: rec.Company, Party: rec.Party, Mobile: m.E164, Day: s.Today(), Message: text, Now: s.cfg.Now()}
	msg := ReminderMessage{Key: d.Key, Party: rec.Party, Mobile: m.E164, WhatsAppID: WhatsAppID(m.E164), Text: text}
	if err := s.sendOnce(ctx, claim, msg, snd, &d); err != nil {
		s.log.WarnContext(ctx, "rejected order: the customer could not be told", "order_id", rec.ID, "error", err)
	}
}
