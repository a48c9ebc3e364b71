package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// SentBox is a sender that keeps what it is asked to send (exported for
// the api_test package's tests too).
type SentBox struct {
	mu   sync.Mutex
	sent []service.ReminderMessage
}

func (r *SentBox) Send(_ context.Context, m service.ReminderMessage) (service.SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return service.SendResult{MessageID: "wamid.rejected"}, nil
}

func (r *SentBox) Messages() []service.ReminderMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]service.ReminderMessage(nil), r.sent...)
}

// TestWhatsAppRejectionTold: a WhatsApp order naming a product that is not
// in the catalog is rejected, and the customer is told so once, in words
// they can act on (not the catalog's internals); the order retried and
// rejected again, or the message delivered again, tells them nothing more.
func TestWhatsAppRejectionTold(t *testing.T) {
	t.Parallel()
	rec := &SentBox{}
	b := waSetupOn(t, "sqlite", func(cfg *service.Config) { cfg.WhatsApp.Confirm = rec })
	body := waFixture(t, "order_unknown_product.json")
	waResponse(t, b.deliver(body))
	list := b.waitFinal(t, 1)
	// The customer is told after the rejection is stored: wait for it.
	var sent []service.ReminderMessage
	for deadline := time.Now().Add(10 * time.Second); len(sent) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		sent = rec.Messages()
	}
	if len(sent) != 1 || sent[0].WhatsAppID == "" || !strings.HasPrefix(sent[0].Text, "Sorry, we could not take your order "+list[0].BillRef+": ") ||
		!strings.Contains(sent[0].Text, "Please choose them again from our catalogue") || strings.Contains(sent[0].Text, "di9ozbzfi4") {
		t.Fatalf("messages %+v; want one telling the customer to choose again from the catalogue", sent)
	}
	r := b.do(http.MethodPost, "/orders/"+list[0].ID+"/retry", nil, map[string]string{"X-API-Key": waTestAPIKey})
	if r.status != http.StatusAccepted && r.status != http.StatusOK {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	b.waitFinal(t, 1)
	waResponse(t, b.deliver(body))
	b.waitFinal(t, 1)
	time.Sleep(200 * time.Millisecond) // give a second message, if one were sent, time to show
	if n := len(rec.Messages()); n != 1 {
		t.Errorf("%d messages after a retry and a redelivery; want still 1", n)
	}
}
