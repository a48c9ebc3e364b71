package service

import (
	"context"
	"time"
)

// Store persists what must survive a restart and be shared by replicas:
// idempotency records, orders with their state and attempts, every Tally
// import, and WhatsApp message ids. store/pgstore (PostgreSQL, production) and
// store/sqlitestore (the embedded default) implement it and pass one
// conformance suite, store/storetest. It is one role interface per concern
// (IdempotencyStore, PostingStore, AuditLog, InboundMessages,
// ReminderStore), so a part of the service, or a test's fake, can take only
// the role it uses.
//
// Errors are *Error: NotFound for a missing row, Conflict for a uniqueness or
// state-transition clash, Unavailable when the database cannot be reached.
// Implementations never hold a transaction open across a call into the
// service, so no transaction spans a Tally request.
type Store interface {
	// Ping checks the database (for /readyz).
	Ping(ctx context.Context) error
	IdempotencyStore
	PostingStore
	AuditLog
	InboundMessages
	ReminderStore
	// Prune deletes expired idempotency records and clears the request and
	// response bodies of imports older than p.BodiesBefore.
	Prune(ctx context.Context, p PrunePolicy) (PruneStats, error)
}

// IdempotencyStore keeps Idempotency-Key records (idempotency.go).
type IdempotencyStore interface {
	// ClaimIdempotencyKey is the one arbitrated step of Idempotency-Key
	// handling. In one atomic operation it either creates the record
	// (in progress, leased until c.Now+c.Lease, kept until c.Now+c.TTL) and
	// returns it with claimed=true; or takes over an in-progress record with
	// the same RequestHash whose lease has expired (claimed=true); or returns
	// the existing record untouched (claimed=false), for the caller to replay
	// (completed, same hash), refuse with 422 (other hash) or 409 (in
	// progress). An expired record (ExpiresAt before c.Now) counts as absent.
	ClaimIdempotencyKey(ctx context.Context, c IdempotencyClaim) (rec IdempotencyRecord, claimed bool, err error)
	// CompleteIdempotencyKey stores the response of the claimed request;
	// NotFound if the record is gone, Conflict if it is already completed.
	CompleteIdempotencyKey(ctx context.Context, scope, key string, resp StoredResponse) error
	// ReleaseIdempotencyKey deletes an in-progress record, so that a request
	// whose result is not to be kept (a 5xx) can be retried with the same key.
	ReleaseIdempotencyKey(ctx context.Context, scope, key string) error
}

// PostingStore keeps the posting pipeline's records (orders, receipts,
// cancellations) and queues the job that posts each (posting.go).
type PostingStore interface {
	// CreateOrder inserts an order in state received and, in the same
	// transaction, enqueues the job that posts it, so an order is never
	// stored without its job nor queued without its row. When o.Key names
	// an in-progress idempotency record, the same transaction links it to
	// the order (IdempotencyRecord.OrderID), so a crash cannot leave a key
	// that stored an order without saying which. When an order with the
	// same RemoteID (or id) exists, nothing is written: that order is
	// returned with created false.
	CreateOrder(ctx context.Context, o OrderRecord) (rec OrderRecord, created bool, err error)
	// GetOrder reads one order; NotFound when there is none.
	GetOrder(ctx context.Context, id string) (OrderRecord, error)
	// ListOrders lists orders, newest first.
	ListOrders(ctx context.Context, f OrderFilter) ([]OrderRecord, error)
	// TransitionOrder moves an order from one of the states in from to t.To,
	// applying t's changes, atomically (compare-and-set on the state);
	// Conflict when the order is in another state. With t.Enqueue, the
	// posting job is enqueued again in the same transaction (retry).
	TransitionOrder(ctx context.Context, id string, from []OrderState, t OrderTransition) (OrderRecord, error)
	// StartAttempts moves every order of ids that is still received to
	// posting, counting an attempt (updated at now), as one durable write
	// (a batch's claim: one commit, not one per order); it returns the
	// orders it moved, in the order of ids. An order in another state, or
	// missing, is left out.
	StartAttempts(ctx context.Context, ids []string, now time.Time) ([]OrderRecord, error)
	// CountOrders counts the stored orders by state and by the "kind"
	// member of their Request JSON ("" when absent: a sales order), the one
	// member of Request a store reads; states with none are left out.
	CountOrders(ctx context.Context) ([]OrderCount, error)
}

// AuditLog keeps every Tally import.
type AuditLog interface {
	// RecordImport appends a Tally import to the audit log and returns it
	// with its ID. Request and response bodies are truncated to
	// MaxAuditBody bytes (Truncated says so). It records what Tally has
	// answered already, so, like a Deferrable transition, it may be
	// acknowledged before it is durable.
	RecordImport(ctx context.Context, r ImportRecord) (ImportRecord, error)
	// GetImport reads one import; NotFound when there is none.
	GetImport(ctx context.Context, id int64) (ImportRecord, error)
	// ListImports lists imports, newest first.
	ListImports(ctx context.Context, f ImportFilter) ([]ImportRecord, error)
}

// InboundMessages records WhatsApp messages once (whatsapp.go).
type InboundMessages interface {
	// RecordInboundMessage stores a WhatsApp message id once; inserted is
	// false when it was already there (Meta redelivers).
	RecordInboundMessage(ctx context.Context, m InboundMessage) (inserted bool, err error)
}

// ReminderStore arbitrates and records reminder sends (reminders.go).
type ReminderStore interface {
	// ClaimReminder is the one arbitrated step of a reminder dispatch: it
	// records c as claimed and returns true when no send with c.Key exists,
	// or takes over a send whose last dispatch failed; otherwise (claimed or
	// sent already, by any replica) it returns false and changes nothing.
	ClaimReminder(ctx context.Context, c ReminderClaim) (claimed bool, err error)
	// RecordReminderSend stores how a claimed send ended, with the
	// provider's answer (truncated to MaxAuditBody); NotFound when no send
	// has o.Key.
	RecordReminderSend(ctx context.Context, o ReminderOutcome) error
	// ListReminderSends lists stored sends, newest first.
	ListReminderSends(ctx context.Context, f ReminderSendFilter) ([]ReminderSend, error)
}

// MaxAuditBody bounds each stored request or response body of an import.
const MaxAuditBody = 64 << 10

// IdempotencyState is the state of an idempotency record.
type IdempotencyState string

// Idempotency record states.
const (
	IdempotencyInProgress IdempotencyState = "in_progress"
	IdempotencyCompleted  IdempotencyState = "completed"
)

// IdempotencyClaim asks to own an idempotency key.
type IdempotencyClaim struct {
	Scope       string // who and where: API key id, method and route template
	Key         string
	RequestHash string // hex SHA-256 of the method, route and canonical body
	Now         time.Time
	Lease       time.Duration // after this, another request with the same hash may take over
	TTL         time.Duration // how long the record is kept (at least 24 hours)
}

// IdempotencyRecord is a stored idempotency key.
type IdempotencyRecord struct {
	Scope       string
	Key         string
	RequestHash string
	State       IdempotencyState
	LockedUntil time.Time
	Response    *StoredResponse // set once completed
	// OrderID is the order (or receipt) the key's request stored, linked
	// in the transaction that stored it (CreateOrder with Key); empty
	// until then, and for requests that store none.
	OrderID   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// IdempotencyRef names one idempotency record: its scope and key.
type IdempotencyRef struct {
	Scope, Key string
}

// StoredResponse is a response kept for replay.
type StoredResponse struct {
	Status int
	Header map[string]string // the headers worth replaying: Content-Type, Location
	Body   []byte
}

// OrderState is where an order is in its life.
type OrderState string

// The order states: received → posting → posted | rejected | needs_attention;
// needs_attention and rejected can go back to received (retry).
const (
	OrderReceived       OrderState = "received"
	OrderPosting        OrderState = "posting"
	OrderPosted         OrderState = "posted"
	OrderRejected       OrderState = "rejected"
	OrderNeedsAttention OrderState = "needs_attention"
)

// OrderRecord is a stored order.
type OrderRecord struct {
	ID       string // a UUID, assigned by the caller
	Company  string
	Source   string // "api", SourceWhatsApp
	Ref      string // the bill reference
	RemoteID string // the voucher's REMOTEID; unique
	Party    string
	// Request is the order as the service encodes it, enough to post it
	// again; Result is the OrderResult once posted. Both are opaque JSON
	// to the store.
	Request []byte
	Result  []byte
	State   OrderState
	// Attempts counts posting attempts. Ambiguous is true when the last
	// attempt ended without knowing whether Tally applied it, so the next
	// attempt must read back first. PartyCreated records that the party
	// ledger was created for this order, so it is created at most once.
	Attempts      int
	Ambiguous     bool
	PartyCreated  bool
	LastError     string // Tally's text or the error's message
	LastErrorCode string
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	PostedAt      time.Time
	// Key is only read by CreateOrder: the Idempotency-Key record of the
	// request that stores the order, linked to it in the same transaction.
	// Zero when the request had no key; never filled when reading.
	Key IdempotencyRef
}

// OrderFilter selects orders.
type OrderFilter struct {
	State  OrderState // empty for all
	Party  string
	Before time.Time // created before, for paging; zero for no bound
	Limit  int       // PageLimit
	// OldestFirst lists the oldest first (the order they were queued);
	// Before is then ignored.
	OldestFirst bool
}

// OrderCount is how many stored orders of one request kind are in one state.
type OrderCount struct {
	Kind  string // the Request's "kind" member, "" when it has none
	State OrderState
	N     int
}

// OrderTransition is a state change with what changes alongside it. Nil
// pointers leave a field as it is.
type OrderTransition struct {
	To            OrderState
	Now           time.Time
	AddAttempt    bool
	Ambiguous     *bool
	PartyCreated  *bool
	LastError     *string
	LastErrorCode *string
	Result        []byte  // set when non-nil
	Request       []byte  // set when non-nil: an amended order's new content
	Party         *string // the ledger the order went to (a WhatsApp order is stored under the profile name)
	NextAttemptAt *time.Time
	Enqueue       bool // enqueue the posting job again, in the same transaction
	// Deferrable lets the store acknowledge the transition before it is
	// durable; the next durable write makes it so (the queue's completion
	// of the job follows every attempt). The queue sets it only after
	// Tally has answered: such a transition, undone by a database crash,
	// leaves the order posting, and its rescue reads Tally back before
	// anything is sent again. A transition before a Tally write (the
	// attempt starting, the plan) is never deferrable.
	Deferrable bool
}

// ImportRecord is one Tally import in the audit log.
type ImportRecord struct {
	ID        int64
	OrderID   string // empty when not part of an order
	Company   string
	Kind      string // "masters", "vouchers"
	RemoteID  string
	Party     string
	Request   []byte
	Response  []byte
	Truncated bool
	Outcome   ImportOutcome
	// Result is "ok", "rejected" (Tally refused), "ambiguous" (no answer
	// after sending) or "failed" (never reached Tally).
	Result    string
	ErrorCode string
	Duration  time.Duration
	CreatedAt time.Time
}

// ImportFilter selects imports.
type ImportFilter struct {
	OrderID string
	Party   string
	Result  string
	Since   time.Time
	Until   time.Time
	Limit   int // PageLimit
}

// InboundMessage is a WhatsApp message as received.
type InboundMessage struct {
	ID         string // Meta's message id (wamid…)
	From       string
	Type       string
	Payload    []byte
	ReceivedAt time.Time
}

// PrunePolicy says what retention removes.
type PrunePolicy struct {
	Now          time.Time // idempotency records that expired before Now go
	BodiesBefore time.Time // imports older than this lose their bodies
}

// PruneStats says what Prune removed.
type PruneStats struct {
	IdempotencyRecords int
	ImportBodies       int
}

// OrderPoster is what a store's order queue calls to post one order. Each
// store runs its own queue (River on PostgreSQL; see the store packages) and
// calls PostOrder for every job, one at a time per Tally gateway.
type OrderPoster interface {
	// PostOrder makes one attempt at posting an order. It returns nil when
	// the order reached a state the queue has nothing more to do for
	// (posted, rejected, needs_attention), a *RetryLater when it should be
	// attempted again after a delay (Tally unreachable or busy), or another
	// error for the queue's own retry.
	PostOrder(ctx context.Context, orderID string) error
}

// RetryLater asks the queue to attempt a job again after After.
type RetryLater struct {
	After time.Duration
	Err   error
}

// Error implements error.
func (r *RetryLater) Error() string {
	if r.Err == nil {
		return "retry later"
	}
	return "retry later: " + r.Err.Error()
}

// Unwrap returns the cause.
func (r *RetryLater) Unwrap() error { return r.Err }
