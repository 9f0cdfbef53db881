package sensitive

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// The compact E.164 shortcut agrees with phonenumbers.Parse.
func TestValidE164AgreesWithParse(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"+14155552671", "+12015550123", "+11234567890", "+442079460958", "+447911123456", "+4420794609", "+33612345678",
		"+390612345678", "+3906123456789", "+393123456789", "+861012345678", "+8613812345678", "+919876543210", "+61412345678",
		"+5511987654321", "+491701234567", "+4930123456", "+999123456789", "+2125223456", "+81312345678", "+10000000000",
		"+35312345678", "+353861234567", "+79123456789", "+123456789012345", "+9715012345678", "+2348012345678",
	} {
		require.True(t, isCompactE164(s), s)
		num, err := phonenumbers.Parse(s, "")
		want := err == nil && phonenumbers.IsValidNumber(num)
		require.Equal(t, want, validE164(s), s)
	}
	require.False(t, isCompactE164("+0123456789"))
	require.False(t, isCompactE164("+1 415 555 2671"))
	require.False(t, isCompactE164("+1234567"))
}
