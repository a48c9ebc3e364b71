module github.com/tallyfacade/tallyfacade

go 1.26.0

require github.com/shopspring/decimal v1.6.0

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/nyaruka/phonenumbers v1.8.1 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
