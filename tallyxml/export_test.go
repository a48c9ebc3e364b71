package tallyxml

// MirrorVoucherOf is the mirror's voucher of a decoded one. Tests only.
var MirrorVoucherOf = mirrorVoucher
