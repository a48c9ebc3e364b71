package service

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"
)

// DefaultReminderTemplate is the payment reminder of the WhatsApp guide
// (seeds/wa-expert-tally-whatsapp-guide.txt, "The full payment-reminder
// flow"), word for word: "Dear Rajesh Enterprises, our records show an
// outstanding balance of Rs. 48,500 due since 10 June 2026. Kindly arrange
// payment. Reply here for any query."
const DefaultReminderTemplate = "Dear {{.Party}}, our records show an outstanding balance of Rs. {{.Amount}} due since {{.DueSince}}. Kindly arrange payment. Reply here for any query."

// RemindersConfig configures payment reminders.
type RemindersConfig struct {
	// Template is the message, a Go text/template over ReminderData.
	// Default DefaultReminderTemplate. Check it at start-up with
	// ParseReminderTemplate: New cannot fail, so a bad template is reported
	// by every Reminders call instead.
	Template string
	// MinOverdueDays is how many days past due a bill must be to be
	// reminded of. Default 1 (any overdue bill); a query may ask for more.
	MinOverdueDays int
	// MinAmount leaves out parties whose overdue total is below it; a query
	// may ask for more. Default 0 (every amount).
	MinAmount Paise
	// Group is the party group reminded. Default Config.PartyGroup.
	Group string
	// Sender delivers reminders; nil makes DispatchReminders an error
	// (reminder_sender_not_configured) while listing reminders still works.
	Sender Sender
	// SendAttempts is how many times a retryable provider error is tried
	// per party. Default 3.
	SendAttempts int
	// RetryDelay is the first wait between attempts; it doubles each time
	// (1 s, 2 s by default), so one dispatch stays a few seconds per party.
	RetryDelay time.Duration
}

func (c RemindersConfig) withDefaults(partyGroup string) RemindersConfig {
	if c.Template == "" {
		c.Template = DefaultReminderTemplate
	}
	if c.MinOverdueDays <= 0 {
		c.MinOverdueDays = 1
	}
	if c.Group == "" {
		c.Group = partyGroup
	}
	if c.SendAttempts <= 0 {
		c.SendAttempts = 3
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	return c
}

// ReminderData is what a reminder template sees.
type ReminderData struct {
	// Party is the ledger name.
	Party string
	// Amount is the overdue total with Indian grouping and no symbol:
	// "48,500" for whole rupees (as the guide writes it), "48,500.50"
	// otherwise.
	Amount string
	// DueSince is the oldest overdue due date, "10 June 2026".
	DueSince string
	// OverdueDays is how many days past due the oldest bill is.
	OverdueDays int
	// Bills are the overdue bills, oldest due first; printed as a whole
	// they read "ABC/S/101 of 11 May 2026: Rs. 48,500".
	Bills ReminderBills
	// Company is the Tally company.
	Company string
}

// ReminderBill is one bill as a template sees it.
type ReminderBill struct {
	Ref         string
	Date        string // "11 May 2026"
	Due         string // "10 June 2026"
	Amount      string // as ReminderData.Amount
	OverdueDays int
}

// String is how a bill prints in a template.
func (b ReminderBill) String() string {
	return b.Ref + " of " + b.Date + ": Rs. " + b.Amount
}

// ReminderBills are a reminder's bills.
type ReminderBills []ReminderBill

// String joins the bills with "; ", so {{.Bills}} reads as a list.
func (bs ReminderBills) String() string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.String()
	}
	return strings.Join(parts, "; ")
}

// sampleReminder is the guide's example, used to try a template out.
var sampleReminder = ReminderData{Party: "Rajesh Enterprises", Amount: "48,500", DueSince: "10 June 2026", OverdueDays: 13,
	Bills: ReminderBills{{Ref: "ABC/S/101", Date: "11 May 2026", Due: "10 June 2026", Amount: "48,500", OverdueDays: 13}}, Company: "ABC Traders"}

// ParseReminderTemplate parses a reminder template and tries it on a sample,
// so a misspelt field ({{.Amt}}) fails at start-up rather than on the first
// reminder: text/template only finds unknown fields when it executes.
func ParseReminderTemplate(text string) (*template.Template, error) {
	if strings.TrimSpace(text) == "" {
		text = DefaultReminderTemplate
	}
	t, err := template.New("reminder").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("reminder template: %w", err)
	}
	if err := t.Execute(&bytes.Buffer{}, sampleReminder); err != nil {
		return nil, fmt.Errorf("reminder template: %w", err)
	}
	return t, nil
}

// ReminderAmount formats an amount the way the guide's reminder does:
// Indian grouping, no symbol, and no ".00" for whole rupees ("48,500",
// "1,23,456.50").
func ReminderAmount(p Paise) string {
	s := p.Indian()
	if rest, ok := strings.CutSuffix(s, ".00"); ok {
		return rest
	}
	return s
}

// reminderDate is "10 June 2026", the guide's long form.
func reminderDate(t time.Time) string { return t.Format("2 January 2006") }

// ReminderQuery selects reminders. Zero fields take RemindersConfig's values.
type ReminderQuery struct {
	Company        string
	AsOf           time.Time // default today
	MinOverdueDays int       // bills at least this many days past due
	MinAmount      Paise     // parties owing at least this much overdue
	Group          string    // party group; default RemindersConfig.Group
}

// Reminder is one party's payment reminder.
type Reminder struct {
	Party string
	// Mobile is the party's number as normalised; Mobile.E164 is empty and
	// Mobile.Reason says why when there is no usable number.
	Mobile Mobile
	// Amount is what is reminded of: the overdue bills less the party's
	// unadjusted credits (advances, credit notes) in Bills Receivable, so
	// a reminder never asks for money the books say was already paid.
	Amount   Paise
	Overdue  Paise        // the overdue bills alone
	Credits  Paise        // the party's credit bills (negative, or 0)
	DueSince time.Time    // the oldest overdue due date
	Bills    []Receivable // the overdue bills, oldest due first
	Message  string
	Data     ReminderData // the template's variables
}

// Reminders computes the payment reminders as of a date: every party of the
// group with bills at least MinOverdueDays past due whose overdue total (net
// of its credits) is at least MinAmount, with its number and the rendered
// message, sorted by party. Two Tally requests: Bills Receivable and the
// group's ledgers (for the mobile numbers).
func (s *Service) Reminders(ctx context.Context, q ReminderQuery) ([]Reminder, error) {
	cfg := s.cfg.Reminders
	tmpl, err := s.reminderTemplate()
	if err != nil {
		return nil, err
	}
	if q.AsOf.IsZero() {
		q.AsOf = s.Today()
	}
	if q.MinOverdueDays <= 0 {
		q.MinOverdueDays = cfg.MinOverdueDays
	}
	if q.MinAmount <= 0 {
		q.MinAmount = cfg.MinAmount
	}
	if q.Group == "" {
		q.Group = cfg.Group
	}
	if err := ValidateName("group", q.Group); err != nil {
		return nil, err
	}
	company := s.company(q.Company)
	if err := s.checkPartyGroup(ctx, company, q.Group); err != nil {
		return nil, err
	}
	rec, err := s.Receivables(ctx, ReceivablesQuery{Company: company, AsOf: q.AsOf})
	if err != nil {
		return nil, err
	}
	parties, err := s.gw.Parties(ctx, company, q.Group)
	if err != nil {
		return nil, err
	}
	if len(parties) == 0 {
		// An unloaded company reads as an empty group (tally-protocol.md §9.5).
		if err := s.checkLoaded(ctx, company); err != nil {
			return nil, err
		}
	}
	byName := make(map[string]Party, len(parties))
	for _, p := range parties {
		byName[foldName(p.Name)] = p
	}
	out := []Reminder{}
	for _, pr := range rec.Parties {
		party, ok := byName[foldName(pr.Party)]
		if !ok {
			continue // not in the group asked for
		}
		r := Reminder{Party: pr.Party, Mobile: party.Mobile}
		for _, b := range pr.Bills {
			switch {
			case b.Amount < 0:
				r.Credits += b.Amount
			case b.Amount > 0 && b.OverdueDays >= q.MinOverdueDays:
				r.Bills = append(r.Bills, b)
				r.Overdue += b.Amount
			}
		}
		if len(r.Bills) == 0 {
			continue
		}
		r.Amount = r.Overdue + r.Credits
		// Never ask for more than the ledger says the party owes: money
		// received On Account reduces the balance without appearing in
		// Bills Receivable (tally-protocol.md §9.3 D).
		if party.ClosingKnown {
			owes := -party.Closing.Signed // a debit balance is what the party owes
			r.Amount = min(r.Amount, owes)
		}
		if r.Amount <= 0 || r.Amount < q.MinAmount {
			continue
		}
		if r.Mobile.Raw == "" && r.Mobile.Reason == "" {
			r.Mobile = NormalizeMobile("")
		}
		// Bills come sorted by due date (Receivables); a bill without a
		// due date counts from its bill date, as Receivables does.
		r.DueSince = dueOf(r.Bills[0])
		for _, b := range r.Bills[1:] {
			if d := dueOf(b); d.Before(r.DueSince) {
				r.DueSince = d
			}
		}
		r.Data = ReminderData{Party: r.Party, Amount: ReminderAmount(r.Amount), DueSince: reminderDate(r.DueSince),
			OverdueDays: daysBetween(r.DueSince, q.AsOf), Company: company}
		for _, b := range r.Bills {
			r.Data.Bills = append(r.Data.Bills, ReminderBill{Ref: b.Ref, Date: reminderDate(b.Date), Due: reminderDate(dueOf(b)),
				Amount: ReminderAmount(b.Amount), OverdueDays: b.OverdueDays})
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, r.Data); err != nil {
			return nil, &Error{Kind: Internal, Code: "reminder_template_failed", Message: "the reminder template failed", Err: err}
		}
		r.Message = buf.String()
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Reminder) int { return cmp.Compare(foldName(a.Party), foldName(b.Party)) })
	return out, nil
}

func dueOf(b Receivable) time.Time {
	if b.Due.IsZero() {
		return b.Date
	}
	return b.Due
}

// reminderTemplate returns the configured template, parsed once by New.
func (s *Service) reminderTemplate() (*template.Template, error) {
	if s.reminderTmplErr != nil {
		return nil, &Error{Kind: Internal, Code: "reminder_template_invalid", Message: "the configured reminder template is invalid",
			Hint: "Fix the reminder template setting; " + s.reminderTmplErr.Error(), Err: s.reminderTmplErr}
	}
	return s.reminderTmpl, nil
}

// Sender delivers a reminder: the WhatsApp Cloud API or a chatbot
// platform's webhook (package api/sender).
//
// Errors are *Error: Unavailable when the provider could not be reached or
// failed on its side (5xx, a timeout), which DispatchReminders retries;
// anything else (Upstream for a 4xx: a bad token, an unknown template, a
// number not on WhatsApp) is final for this dispatch. Send may return a
// SendResult together with an error so the provider's answer is recorded.
type Sender interface {
	Send(ctx context.Context, m ReminderMessage) (SendResult, error)
}

// ReminderMessage is one reminder to deliver.
type ReminderMessage struct {
	// Key is the dedupe key of the (party, bill set, day); providers that
	// take an idempotency key may use it.
	Key        string
	Party      string
	Mobile     string // E.164, "+919820012345"
	WhatsAppID string // the Cloud API's "to": "919820012345"
	Text       string // the rendered message
	Vars       ReminderData
	// Fields are the named variables of a message other than a reminder
	// (the daily summary's "summary", an invoice confirmation's "number",
	// "date", "amount"); a template parameter or webhook variable of one
	// of these names takes its value from here first.
	Fields map[string]string
}

// SendResult is a provider's answer.
type SendResult struct {
	// MessageID is the provider's id of the message (a wamid for the
	// Cloud API), "" when it gave none.
	MessageID string
	// Status is the HTTP status of the provider's answer, 0 when none.
	Status int
	// Response is the provider's body, kept in the send record (bounded by
	// MaxAuditBody).
	Response []byte
}

// ReminderStatus is the outcome of one party's reminder in a dispatch.
type ReminderStatus string

// The dispatch outcomes.
const (
	ReminderSent        ReminderStatus = "sent"
	ReminderAlreadySent ReminderStatus = "already_sent" // claimed earlier today by this or another replica
	ReminderNoMobile    ReminderStatus = "no_mobile"
	ReminderFailed      ReminderStatus = "failed"
	// ReminderUnknown: the provider's answer was lost after the request went
	// out; the reminder may have been delivered and is not sent again.
	ReminderUnknown ReminderStatus = "unknown"
	ReminderDryRun  ReminderStatus = "dry_run"
)

// ReminderDispatch is one party's line of a dispatch.
type ReminderDispatch struct {
	Reminder  Reminder
	Key       string
	Status    ReminderStatus
	Error     string // why it failed, or why there is no mobile
	MessageID string
	Attempts  int
}

// DispatchResult is what a dispatch did.
type DispatchResult struct {
	AsOf    time.Time
	Day     time.Time // the day the sends are deduplicated on (Asia/Kolkata)
	DryRun  bool
	Parties []ReminderDispatch
}

// Counts returns how many parties ended in each status.
func (r DispatchResult) Counts() map[ReminderStatus]int {
	m := map[ReminderStatus]int{}
	for _, p := range r.Parties {
		m[p.Status]++
	}
	return m
}

// The states of a stored reminder send.
const (
	ReminderSendClaimed = "claimed" // a dispatch owns it and is sending
	ReminderSendSent    = "sent"
	ReminderSendFailed  = "failed" // may be claimed again by a later dispatch the same day
	// ReminderSendUnknown: the provider may have delivered it (a timeout
	// after the request went out); never claimed again, so never sent twice.
	ReminderSendUnknown = "unknown"
)

// ReminderClaim asks to own the sending of one reminder.
type ReminderClaim struct {
	Key     string // ReminderKey: company, party, bill set and day
	Company string
	Party   string
	Mobile  string
	Day     time.Time // the calendar day, midnight UTC (see Day)
	Message string
	Now     time.Time
}

// ReminderOutcome is the end of one reminder send, for the record.
type ReminderOutcome struct {
	Key       string
	Status    string // ReminderSendSent or ReminderSendFailed
	MessageID string
	Response  []byte // the provider's answer; truncated to MaxAuditBody
	Error     string
	Attempts  int
	Now       time.Time
}

// ReminderSend is a stored reminder send.
type ReminderSend struct {
	Key       string
	Company   string
	Party     string
	Mobile    string
	Day       time.Time
	Message   string
	Status    string
	MessageID string
	Response  []byte
	Error     string
	Attempts  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ReminderSendFilter selects stored sends.
type ReminderSendFilter struct {
	Day   time.Time // zero for every day
	Party string
	Limit int // PageLimit
}

// ReminderKey is the dedupe key of a reminder: the company, the party and
// its set of bills with their amounts (sorted, so Tally's order does not
// matter), hashed, and the day. A part payment or a new overdue bill changes
// the bill set and so allows a new reminder the same day; an unchanged set is
// reminded of once a day.
func ReminderKey(company string, r Reminder, day time.Time) string {
	lines := make([]string, len(r.Bills))
	for i, b := range r.Bills {
		lines[i] = b.Ref + "\x1f" + b.Amount.String()
	}
	slices.Sort(lines)
	h := sha256.New()
	h.Write([]byte(foldName(company) + "\x1e" + foldName(r.Party) + "\x1e" + strings.Join(lines, "\x1e")))
	return "reminder:" + day.Format(time.DateOnly) + ":" + hex.EncodeToString(h.Sum(nil))[:32]
}

// DispatchReminders sends today's reminders through the configured Sender:
// each (party, bill set, day) at most once across replicas (Store.
// ClaimReminder arbitrates, and only the claimant sends), every send and its
// provider answer recorded, retryable provider errors tried
// RemindersConfig.SendAttempts times with doubling delays. Parties are
// reported one by one; one party's failure does not stop the others. With
// dryRun nothing is claimed or sent and each party shows what would be sent.
func (s *Service) DispatchReminders(ctx context.Context, q ReminderQuery, dryRun bool) (DispatchResult, error) {
	cfg := s.cfg.Reminders
	if !dryRun {
		if cfg.Sender == nil {
			return DispatchResult{}, &Error{Kind: Unavailable, Code: "reminder_sender_not_configured",
				Message: "no reminder sender is configured",
				Hint:    "Configure a sender (the WhatsApp Cloud API or a chatbot platform's webhook), or ask for a dry run.",
				Setting: SettingReminderSender, Remedy: RemedyDryRun}
		}
	}
	rems, err := s.Reminders(ctx, q)
	if err != nil {
		return DispatchResult{}, err
	}
	company := s.company(q.Company)
	day := s.Today()
	res := DispatchResult{AsOf: q.AsOf, Day: day, DryRun: dryRun, Parties: []ReminderDispatch{}}
	if res.AsOf.IsZero() {
		res.AsOf = day
	}
	for _, r := range rems {
		d := ReminderDispatch{Reminder: r, Key: ReminderKey(company, r, day)}
		switch {
		case !r.Mobile.Valid:
			d.Status, d.Error = ReminderNoMobile, r.Mobile.Reason
		case dryRun:
			d.Status = ReminderDryRun
		default:
			if err := s.dispatchOne(ctx, company, day, &d); err != nil {
				return res, err
			}
		}
		res.Parties = append(res.Parties, d)
	}
	return res, nil
}

// outcomeUnknown reports a send whose request went out but whose answer was
// lost (sender_outcome_unknown).
func outcomeUnknown(err error) bool {
	e, ok := AsError(err)
	return ok && e.Code == "sender_outcome_unknown"
}

// dispatchOne claims and sends one reminder. It returns an error only when
// the store fails (then the dispatch stops: nothing can be promised).
func (s *Service) dispatchOne(ctx context.Context, company string, day time.Time, d *ReminderDispatch) error {
	r := d.Reminder
	claim := ReminderClaim{Key: d.Key, Company: company, Party: r.Party, Mobile: r.Mobile.E164, Day: day, Message: r.Message, Now: s.cfg.Now()}
	msg := ReminderMessage{Key: d.Key, Party: r.Party, Mobile: r.Mobile.E164, WhatsAppID: WhatsAppID(r.Mobile.E164),
		Text: r.Message, Vars: r.Data}
	return s.sendOnce(ctx, claim, msg, s.cfg.Reminders.Sender, d)
}

// sendOnce is the once-only send of every message the service sends on its
// own (reminders, the daily summary, invoice confirmations): the claim of
// its key decides, across replicas, who sends (Store.ClaimReminder); only
// the claimant sends, retrying what surely did not go out; the outcome is
// recorded, and a send whose answer was lost is never claimed again. d gets
// the status, error, message id and attempts. It returns an error only when
// the store fails.
func (s *Service) sendOnce(ctx context.Context, claim ReminderClaim, msg ReminderMessage, sender Sender, d *ReminderDispatch) error {
	cfg, st, r := s.cfg.Reminders, s.cfg.Store, d.Reminder
	claimed, err := st.ClaimReminder(ctx, claim)
	if err != nil {
		return err
	}
	if !claimed {
		d.Status = ReminderAlreadySent
		return nil
	}
	var (
		sr      SendResult
		sendErr error
	)
	delay := cfg.RetryDelay
	for d.Attempts = 1; ; d.Attempts++ {
		sr, sendErr = sender.Send(ctx, msg)
		// Retry only what surely did not go out: a retry after an answer
		// lost in transit could deliver the reminder twice.
		if sendErr == nil || KindOf(sendErr) != Unavailable || outcomeUnknown(sendErr) ||
			d.Attempts >= cfg.SendAttempts || ctx.Err() != nil {
			break
		}
		s.log.Warn("send failed; retrying", "key", d.Key, "party", r.Party, "attempt", d.Attempts, "error", sendErr)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		delay *= 2
	}
	out := ReminderOutcome{Key: d.Key, Status: ReminderSendSent, MessageID: sr.MessageID, Response: sr.Response,
		Attempts: d.Attempts, Now: s.cfg.Now()}
	switch {
	case sendErr != nil && outcomeUnknown(sendErr):
		out.Status, out.Error = ReminderSendUnknown, sendErrorText(sendErr)
		d.Status, d.Error = ReminderUnknown, out.Error
		s.log.Warn("message may have been sent; not sending it again", "key", d.Key, "party", r.Party, "error", out.Error)
	case sendErr != nil:
		out.Status, out.Error = ReminderSendFailed, sendErrorText(sendErr)
		d.Status, d.Error = ReminderFailed, out.Error
		s.log.Error("message not sent", "key", d.Key, "party", r.Party, "attempts", d.Attempts, "error", out.Error)
	default:
		d.Status, d.MessageID = ReminderSent, sr.MessageID
	}
	// Record even when the request's context has ended: the send happened.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := st.RecordReminderSend(rctx, out); err != nil {
		// The message went (or failed) but the record did not: the claim
		// stays "claimed", so no one sends it again today; say so loudly.
		s.log.Error("message send not recorded", "party", r.Party, "key", d.Key, "status", out.Status, "error", err)
	}
	return nil
}

// sendErrorText is the client-safe text of a send error.
func sendErrorText(err error) string {
	if e, ok := AsError(err); ok && e.Message != "" {
		return e.Message
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "the send was cut short: " + err.Error()
	}
	return "the send failed"
}

// DailyJob is a job a store's queue runs once a day at a set time, once
// across replicas (see pgstore and sqlitestore QueueConfig.Daily): the
// reminder dispatch, the owner's sales summary.
type DailyJob struct {
	// Name tells the daily jobs apart (it is part of the job's arguments,
	// so each runs once a day); "" is the reminder dispatch's.
	Name string
	// At is the time of day, as a duration since midnight (9*time.Hour
	// for 09:00). It must be less than 24 hours.
	At time.Duration
	// Location is where At is read. Default Asia/Kolkata.
	Location *time.Location
	// Run does the work; an error makes the queue retry it a few times the
	// same day (DispatchReminders is safe to repeat: each reminder is
	// claimed once a day).
	Run func(ctx context.Context) error
}

// Loc returns the job's location, Asia/Kolkata by default.
func (j DailyJob) Loc() *time.Location {
	if j.Location == nil {
		return indiaTime()
	}
	return j.Location
}

// Next returns the first run time strictly after t. It implements River's
// PeriodicSchedule. Midnight is computed with time.Date, so it is right in
// zones with DST as well as in India's fixed +05:30.
func (j DailyJob) Next(t time.Time) time.Time {
	loc := j.Loc()
	lt := t.In(loc)
	y, m, d := lt.Date()
	at := j.at(y, m, d, loc)
	if !at.After(t) {
		at = j.at(y, m, d+1, loc)
	}
	return at
}

// Due returns the day whose run is due at t (midnight UTC, see Day), and
// false before the day's run time: a queue that starts before At leaves the
// day to its schedule, one that starts after catches the day up (missed
// runs of earlier days are not). A minute of slack absorbs a scheduler that
// fires a little early.
func (j DailyJob) Due(t time.Time) (time.Time, bool) {
	loc := j.Loc()
	lt := t.In(loc)
	y, m, d := lt.Date()
	if lt.Add(time.Minute).Before(j.at(y, m, d, loc)) {
		return time.Time{}, false
	}
	return Day(lt, loc), true
}

func (j DailyJob) at(y int, m time.Month, d int, loc *time.Location) time.Time {
	at := max(j.At, 0) % (24 * time.Hour)
	return time.Date(y, m, d, 0, 0, 0, 0, loc).Add(at)
}
