package postman

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dynamicVars are Postman's {{$name}} variables, generated fresh at each
// occurrence from the resolver's random source and clock. The set covers
// what real collections use (the corpus) plus the common faker families.
var dynamicVars map[string]func(r *resolver) string

func init() {
	dynamicVars = map[string]func(r *resolver) string{
		"$guid":         func(r *resolver) string { return r.uuid() },
		"$randomUUID":   func(r *resolver) string { return r.uuid() },
		"$timestamp":    func(r *resolver) string { return strconv.FormatInt(r.now().Unix(), 10) },
		"$isoTimestamp": func(r *resolver) string { return r.now().UTC().Format("2006-01-02T15:04:05.000Z") },
		"$randomInt":    func(r *resolver) string { return strconv.Itoa(r.rnd.IntN(1001)) },

		"$randomAlphaNumeric": func(r *resolver) string { return string(alnum[r.rnd.IntN(len(alnum))]) },
		"$randomBoolean":      func(r *resolver) string { return strconv.FormatBool(r.rnd.IntN(2) == 1) },
		"$randomHexColor":     func(r *resolver) string { return fmt.Sprintf("#%06x", r.rnd.IntN(1<<24)) },
		"$randomColor":        pick(colors),
		"$randomIP":           func(r *resolver) string { return r.ipv4() },
		"$randomIPV6":         func(r *resolver) string { return r.ipv6() },
		"$randomMACAddress":   func(r *resolver) string { return r.mac() },
		"$randomPassword":     func(r *resolver) string { return r.chars(alnum, 15) },
		"$randomLocale":       pick(locales),
		"$randomSemver": func(r *resolver) string {
			return fmt.Sprintf("%d.%d.%d", r.rnd.IntN(10), r.rnd.IntN(10), r.rnd.IntN(10))
		},

		"$randomFirstName":  pick(firstNames),
		"$randomLastName":   pick(lastNames),
		"$randomFullName":   func(r *resolver) string { return r.one(firstNames) + " " + r.one(lastNames) },
		"$randomNamePrefix": pick([]string{"Mr.", "Mrs.", "Ms.", "Miss", "Dr."}),
		"$randomNameSuffix": pick([]string{"Jr.", "Sr.", "I", "II", "III", "IV", "V", "MD", "DDS", "PhD"}),
		"$randomUserName": func(r *resolver) string {
			return r.one(firstNames) + "." + r.one(lastNames) + strconv.Itoa(r.rnd.IntN(100))
		},
		"$randomEmail":        func(r *resolver) string { return r.email(emailDomains) },
		"$randomExampleEmail": func(r *resolver) string { return r.email([]string{"example.com", "example.net", "example.org"}) },
		"$randomPhoneNumber": func(r *resolver) string {
			return fmt.Sprintf("%03d-%03d-%04d", 200+r.rnd.IntN(800), r.rnd.IntN(1000), r.rnd.IntN(10000))
		},
		"$randomPhoneNumberExt": func(r *resolver) string {
			return fmt.Sprintf("%d-%03d-%03d-%04d", 1+r.rnd.IntN(98), 200+r.rnd.IntN(800), r.rnd.IntN(1000), r.rnd.IntN(10000))
		},

		"$randomWord":            pick(words),
		"$randomWords":           func(r *resolver) string { return r.wordsN(words, 2+r.rnd.IntN(3), " ") },
		"$randomNoun":            pick(nouns),
		"$randomVerb":            pick(verbs),
		"$randomAdjective":       pick(adjectives),
		"$randomIngverb":         func(r *resolver) string { return r.one(verbs) + "ing" },
		"$randomPhrase":          func(r *resolver) string { return r.sentence(words) },
		"$randomLoremWord":       pick(lorem),
		"$randomLoremWords":      func(r *resolver) string { return r.wordsN(lorem, 3, " ") },
		"$randomLoremSentence":   func(r *resolver) string { return r.sentence(lorem) },
		"$randomLoremSentences":  func(r *resolver) string { return r.sentences(2+r.rnd.IntN(5), " ") },
		"$randomLoremParagraph":  func(r *resolver) string { return r.sentences(3, " ") },
		"$randomLoremParagraphs": func(r *resolver) string { return r.paragraphs(3, "\n \r") },
		"$randomLoremText":       func(r *resolver) string { return r.sentences(3, " ") },
		"$randomLoremLines":      func(r *resolver) string { return r.sentences(1+r.rnd.IntN(5), "\n") },
		"$randomLoremSlug":       func(r *resolver) string { return r.wordsN(lorem, 3, "-") },

		"$randomCompanyName":   func(r *resolver) string { return r.one(lastNames) + " " + r.one(companySuffixes) },
		"$randomCompanySuffix": pick(companySuffixes),
		"$randomCatchPhrase": func(r *resolver) string {
			return r.one(adjectives) + " " + r.one(buzzAdjectives) + " " + r.one(buzzNouns)
		},
		"$randomBs": func(r *resolver) string {
			return r.one(bsVerbs) + " " + r.one(buzzAdjectives) + " " + r.one(buzzNouns)
		},
		"$randomBsNoun":      pick(buzzNouns),
		"$randomBsAdjective": pick(buzzAdjectives),
		"$randomBsBuzz":      pick(bsVerbs),

		"$randomProduct": pick(products),
		"$randomProductName": func(r *resolver) string {
			return r.one(productAdjectives) + " " + r.one(productMaterials) + " " + r.one(products)
		},
		"$randomProductAdjective": pick(productAdjectives),
		"$randomProductMaterial":  pick(productMaterials),
		"$randomPrice":            func(r *resolver) string { return fmt.Sprintf("%d.%02d", r.rnd.IntN(1000), r.rnd.IntN(100)) },
		"$randomDepartment":       pick(departments),
		"$randomCurrencyCode":     pick([]string{"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "BRL"}),
		"$randomCurrencyName":     pick([]string{"US Dollar", "Euro", "Pound Sterling", "Yen", "Swiss Franc", "Canadian Dollar"}),
		"$randomCurrencySymbol":   pick([]string{"$", "€", "£", "¥", "₣"}),
		"$randomBitcoin":          func(r *resolver) string { return "1" + r.chars(base58, 33) },
		"$randomBankAccount":      func(r *resolver) string { return r.chars(digits, 8) },
		"$randomBankAccountName":  pick([]string{"Checking Account", "Savings Account", "Money Market Account", "Investment Account", "Credit Card Account", "Personal Loan Account", "Home Loan Account", "Auto Loan Account"}),
		"$randomBankAccountBic":   func(r *resolver) string { return r.chars(upper, 4) + "US" + r.chars(upper, 2) },
		"$randomBankAccountIban":  func(r *resolver) string { return "DE" + r.chars(digits, 20) },
		"$randomTransactionType":  pick([]string{"deposit", "withdrawal", "payment", "invoice"}),
		"$randomCreditCardMask":   func(r *resolver) string { return r.chars(digits, 4) },
		"$randomJobArea":          pick(jobAreas),
		"$randomJobDescriptor":    pick(jobDescriptors),
		"$randomJobType":          pick(jobTypes),
		"$randomJobTitle":         func(r *resolver) string { return r.one(jobDescriptors) + " " + r.one(jobAreas) + " " + r.one(jobTypes) },
		"$randomFileName":         func(r *resolver) string { return r.wordsN(lorem, 2, "_") + "." + r.one(fileExts) },
		"$randomFileExt":          pick(fileExts),
		"$randomFileType":         pick([]string{"application", "audio", "image", "text", "video"}),
		"$randomCommonFileName": func(r *resolver) string {
			return r.wordsN(lorem, 2, "_") + "." + r.one([]string{"pdf", "txt", "jpg", "png", "mp4"})
		},
		"$randomCommonFileExt":  pick([]string{"pdf", "txt", "jpg", "png", "mp4", "mp3", "wav"}),
		"$randomCommonFileType": pick([]string{"application", "audio", "image", "text", "video"}),
		"$randomMimeType":       pick([]string{"application/json", "application/pdf", "image/png", "text/plain", "text/html", "video/mp4"}),
		"$randomFilePath": func(r *resolver) string {
			return "/" + r.wordsN(lorem, 2, "/") + "/" + r.one(lorem) + "." + r.one(fileExts)
		},
		"$randomDirectoryPath": func(r *resolver) string { return "/" + r.wordsN(lorem, 3, "/") },
		"$randomDateFuture":    func(r *resolver) string { return jsDate(r.now().Add(time.Duration(1+r.rnd.IntN(365*24)) * time.Hour)) },
		"$randomDatePast":      func(r *resolver) string { return jsDate(r.now().Add(-time.Duration(1+r.rnd.IntN(365*24)) * time.Hour)) },
		"$randomDateRecent": func(r *resolver) string {
			return jsDate(r.now().Add(-time.Duration(1+r.rnd.IntN(24*60)) * time.Minute))
		},
		"$randomWeekday":      pick([]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}),
		"$randomMonth":        pick([]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}),
		"$randomDomainName":   func(r *resolver) string { return r.one(lorem) + "." + r.one(tlds) },
		"$randomDomainSuffix": pick(tlds),
		"$randomDomainWord":   pick(lorem),
		"$randomUrl":          func(r *resolver) string { return "https://" + r.one(lorem) + "." + r.one(tlds) },
		"$randomProtocol":     pick([]string{"http", "https"}),
		"$randomUserAgent":    pick([]string{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"}),
		"$randomCity":         pick(cities),
		"$randomCountry":      pick([]string{"France", "Germany", "Japan", "Brazil", "Canada", "India", "Kenya", "Norway", "Peru", "Spain"}),
		"$randomCountryCode":  pick([]string{"FR", "DE", "JP", "BR", "CA", "IN", "KE", "NO", "PE", "ES"}),
		"$randomStreetName":   func(r *resolver) string { return r.one(lastNames) + " " + r.one(streetSuffixes) },
		"$randomStreetAddress": func(r *resolver) string {
			return strconv.Itoa(1+r.rnd.IntN(9999)) + " " + r.one(lastNames) + " " + r.one(streetSuffixes)
		},
		"$randomLatitude":  func(r *resolver) string { return strconv.FormatFloat(r.rnd.Float64()*180-90, 'f', 4, 64) },
		"$randomLongitude": func(r *resolver) string { return strconv.FormatFloat(r.rnd.Float64()*360-180, 'f', 4, 64) },
		"$randomAvatarImage": func(r *resolver) string {
			return "https://cdn.example.com/avatars/" + strconv.Itoa(r.rnd.IntN(1000)) + ".jpg"
		},
		"$randomImageUrl":          func(r *resolver) string { return "http://placeimg.com/640/480" },
		"$randomAbbreviation":      pick([]string{"HTTP", "JSON", "XML", "SQL", "TCP", "API", "SMTP", "SSL", "RAM", "PCI"}),
		"$randomDatabaseColumn":    pick([]string{"id", "title", "name", "email", "password", "token", "group", "category", "status", "createdAt", "updatedAt", "comment"}),
		"$randomDatabaseType":      pick([]string{"int", "varchar", "text", "date", "datetime", "timestamp", "boolean", "decimal", "float", "json"}),
		"$randomDatabaseCollation": pick([]string{"utf8_unicode_ci", "utf8_general_ci", "utf8_bin", "ascii_bin", "cp1250_general_ci"}),
		"$randomDatabaseEngine":    pick([]string{"InnoDB", "MyISAM", "MEMORY", "CSV", "ARCHIVE", "BLACKHOLE"}),
	}
}

const (
	alnum  = "abcdefghijklmnopqrstuvwxyz0123456789"
	digits = "0123456789"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
)

var (
	firstNames        = []string{"Ada", "Bruno", "Chloe", "Dmitri", "Elena", "Farah", "Gustavo", "Hana", "Ivan", "Julia", "Kenji", "Lena", "Marco", "Nadia", "Oscar", "Priya"}
	lastNames         = []string{"Abbott", "Becker", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov"}
	emailDomains      = []string{"gmail.com", "yahoo.com", "hotmail.com"}
	words             = []string{"alpha", "bridge", "copper", "delta", "ember", "forest", "granite", "harbor", "island", "juniper", "kernel", "lantern", "meadow", "nectar", "orbit", "pixel"}
	nouns             = []string{"bandwidth", "capacitor", "circuit", "driver", "feed", "firewall", "hard drive", "interface", "matrix", "microchip", "monitor", "panel", "pixel", "port", "protocol", "sensor"}
	verbs             = []string{"back up", "bypass", "calculate", "compress", "connect", "copy", "generate", "hack", "index", "input", "navigate", "override", "parse", "program", "quantify", "reboot"}
	adjectives        = []string{"auxiliary", "primary", "back-end", "digital", "open-source", "virtual", "cross-platform", "redundant", "online", "haptic", "multi-byte", "bluetooth", "wireless", "1080p", "neural", "optical"}
	lorem             = []string{"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "labore", "magna", "aliqua"}
	companySuffixes   = []string{"Inc", "LLC", "Group", "and Sons", "Ltd"}
	buzzAdjectives    = []string{"scalable", "robust", "seamless", "holistic", "proactive", "dynamic", "intuitive", "modular"}
	buzzNouns         = []string{"synergies", "paradigms", "platforms", "solutions", "markets", "channels", "architectures", "deliverables"}
	bsVerbs           = []string{"implement", "leverage", "synergize", "integrate", "streamline", "transform", "empower", "orchestrate"}
	products          = []string{"Chair", "Car", "Computer", "Keyboard", "Mouse", "Bike", "Ball", "Gloves", "Pants", "Shirt", "Table", "Shoes", "Hat", "Towels", "Soap", "Tuna"}
	productAdjectives = []string{"Small", "Ergonomic", "Rustic", "Intelligent", "Gorgeous", "Incredible", "Fantastic", "Practical", "Sleek", "Awesome", "Generic", "Handcrafted", "Handmade", "Licensed", "Refined", "Unbranded"}
	productMaterials  = []string{"Steel", "Wooden", "Concrete", "Plastic", "Cotton", "Granite", "Rubber", "Metal", "Soft", "Fresh", "Frozen"}
	departments       = []string{"Books", "Movies", "Music", "Games", "Electronics", "Computers", "Home", "Garden", "Tools", "Grocery", "Health", "Beauty", "Toys", "Kids", "Baby", "Clothing"}
	jobAreas          = []string{"Solutions", "Program", "Brand", "Security", "Research", "Marketing", "Directives", "Implementation", "Integration", "Functionality", "Response", "Paradigm", "Tactics", "Identity", "Markets", "Group"}
	jobDescriptors    = []string{"Lead", "Senior", "Direct", "Corporate", "Dynamic", "Future", "Product", "National", "Regional", "District", "Central", "Global", "Customer", "Investor", "Dynamic", "International"}
	jobTypes          = []string{"Supervisor", "Associate", "Executive", "Liaison", "Officer", "Manager", "Engineer", "Specialist", "Director", "Coordinator", "Administrator", "Architect", "Analyst", "Designer", "Planner", "Technician"}
	fileExts          = []string{"pdf", "txt", "json", "png", "jpg", "csv", "xml", "zip", "mp3", "mp4"}
	colors            = []string{"red", "orange", "yellow", "green", "blue", "indigo", "violet", "black", "white", "grey", "teal", "magenta"}
	locales           = []string{"en", "fr", "de", "es", "it", "ja", "pt_BR", "nl", "sv", "zh_CN"}
	tlds              = []string{"com", "net", "org", "info", "biz", "io"}
	cities            = []string{"Springfield", "Riverside", "Fairview", "Madison", "Georgetown", "Salem", "Clinton", "Franklin", "Greenville", "Bristol"}
	streetSuffixes    = []string{"Street", "Avenue", "Road", "Lane", "Drive", "Court", "Place", "Way"}
)

func pick(list []string) func(r *resolver) string {
	return func(r *resolver) string { return r.one(list) }
}

func (r *resolver) one(list []string) string { return list[r.rnd.IntN(len(list))] }

func (r *resolver) chars(set string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[r.rnd.IntN(len(set))]
	}
	return string(b)
}

func (r *resolver) wordsN(list []string, n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = r.one(list)
	}
	return strings.Join(parts, sep)
}

func (r *resolver) sentence(list []string) string {
	s := r.wordsN(list, 4+r.rnd.IntN(6), " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func (r *resolver) sentences(n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = r.sentence(lorem)
	}
	return strings.Join(parts, sep)
}

func (r *resolver) paragraphs(n int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = r.sentences(3, " ")
	}
	return strings.Join(parts, sep)
}

func (r *resolver) email(domains []string) string {
	return strings.ToLower(r.one(firstNames)+"."+r.one(lastNames)) + strconv.Itoa(r.rnd.IntN(100)) + "@" + r.one(domains)
}

func (r *resolver) uuid() string {
	hi, lo := r.rnd.Uint64(), r.rnd.Uint64()
	hi = hi&^0xf000 | 0x4000         // version 4
	lo = lo&^(0xc<<60) | (0x8 << 60) // RFC 4122 variant
	var b [36]byte
	const hexd = "0123456789abcdef"
	j := 0
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[j] = '-'
			j++
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i) & 0xf
		} else {
			nib = lo >> (60 - 4*(i-16)) & 0xf
		}
		b[j] = hexd[nib]
		j++
	}
	return string(b[:])
}

func (r *resolver) ipv4() string {
	return fmt.Sprintf("%d.%d.%d.%d", r.rnd.IntN(256), r.rnd.IntN(256), r.rnd.IntN(256), r.rnd.IntN(256))
}

func (r *resolver) ipv6() string {
	parts := make([]string, 8)
	for i := range parts {
		parts[i] = strconv.FormatInt(int64(r.rnd.IntN(1<<16)), 16)
	}
	return strings.Join(parts, ":")
}

func (r *resolver) mac() string {
	parts := make([]string, 6)
	for i := range parts {
		parts[i] = fmt.Sprintf("%02x", r.rnd.IntN(256))
	}
	return strings.Join(parts, ":")
}

// jsDate formats t like JavaScript's Date.prototype.toString, which is what
// Postman's date variables produce.
func jsDate(t time.Time) string {
	t = t.UTC()
	return t.Format("Mon Jan 02 2006 15:04:05") + " GMT+0000 (Coordinated Universal Time)"
}
