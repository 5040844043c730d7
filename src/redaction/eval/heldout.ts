/**
 * The held-out template bank: phrasings written after the detectors were tuned on the dev bank
 * (corpus.ts) and never used to change them. Its figures are the headline ones; the dev figures
 * only show how well the detectors fit the cases they were built from.
 *
 * It deliberately holds things the detectors do not handle, because contact centers see them:
 * phone numbers and e-mail addresses read aloud, lower-case names in transcripts, CPFs written with
 * spaces, names with no cue. And harder negatives: IMEIs (Luhn-valid, 15 digits), ISBNs, software
 * versions shaped like IPv4 addresses, postcodes, last-four references.
 */
import type { Language } from '../types.js';

type Bank = Record<string, readonly string[]>;

export const HELDOUT: Record<Language, Bank> = {
  es: {
    greeting: ['Gracias por comunicarse con nosotros. Mi nombre es {FIRST_CUE}.', 'Buenas, ¿con quién tengo el gusto?', 'Centro de atención, buenas noches.'],
    name: ['Con {NAME}, para servirle.', 'Habla {NAME}.', 'Quería reclamar, soy {NAME_LOWER} y me cobraron dos veces', 'Mire, a nombre de {NAME} está todo.', 'Anote: titular {NAME}.', 'Ya le paso con mi compañera {FIRST}.', 'Don {SURNAME}, un segundo.', '{NAME} es mi nombre completo.'],
    card: ['Pago con la {CARD_NUMBER} por favor.', 'Los dieciséis dígitos: {CARD_NUMBER}', 'La tarjeta nueva es {CARD_NUMBER} y la anterior terminaba en {~last4}.', 'Número {CARD_NUMBER}, caduca el {CARD_EXPIRY}, el código de atrás {CARD_CVV}.', 'le dicto la tarjeta {CARD_NUMBER} ok'],
    cardSpoken: ['vale apunte {CARD_SPOKEN} esa es', 'la tarjeta es la {CARD_SPOKEN}'],
    cvv: ['Tres dígitos: {CARD_CVV}, son los del CVV.', 'El CVV2 es el {CARD_CVV}.', 'Fecha de vencimiento {CARD_EXPIRY}.'],
    iban: ['Le doy el IBAN: {IBAN}', 'Cuenta IBAN {IBAN} del Santander, código BIC {SWIFT_BIC}.'],
    ids: ['Con DNI número {DNI}.', 'Mi documento nacional de identidad es el {DNI}.', 'Soy extranjero, tengo NIE {NIE}.', 'La CURP: {CURP}', 'Mi RUT es el {RUT}, de Santiago.', 'CUIL {CUIT}', 'Factura con NIT {NIT}.', 'C.C. {CEDULA} de Bogotá.', 'Pasaporte mexicano {PASSPORT}.', 'El IMEI del teléfono es {~imei}.'],
    phone: ['Llámeme mejor al {PHONE}, es mi celular.', 'Mi número es el {PHONE_SPOKEN}', 'Tel.: {PHONE}', 'Desde el {PHONE} me escribieron por WhatsApp.', 'Contacto de la oficina: {PHONE}, extensión 204.'],
    email: ['Mi email es {EMAIL_SPOKEN}', 'El correo: {EMAIL}', 'Copia a {EMAIL} y a {EMAIL}.'],
    ip: ['El log muestra la IP {IP_ADDRESS} a las {~time}.', 'Actualicé a la versión {~version} y dejó de funcionar.'],
    dob: ['Nacimiento: {DOB}', 'Yo nací el {DOB} en Lima.', 'Su fecha de nacimiento, {DOB}, no coincide.'],
    address: ['Dirección de envío: {ADDRESS}, código postal {~postcode}.', 'Mándelo a {ADDRESS} por favor.', 'Vivo en la {ADDRESS}.'],
    neg: ['El libro ISBN {~isbn} no llegó.', 'Código postal {~postcode}.', 'Su número de reclamo es {~ticket}.', 'Pedido {~order} del {~date}.', 'Me cobraron {~amount} por el pedido {~cardlike}.', 'Quedamos a las {~time}.', 'Versión {~version} instalada.', 'Tracking {~tracking}.', 'Nº de orden {~cardlike}, importe {~amount}.'],
    filler: ['Permítame un momento.', 'Listo, ya quedó.', 'De acuerdo.', 'Eso sería todo, gracias.'],
    close: ['Que tenga buena noche.', 'Gracias por su paciencia.'],
  },
  pt: {
    greeting: ['Obrigado por entrar em contato. Meu nome é {FIRST_CUE}.', 'Oi, com quem eu falo?', 'Central de atendimento, boa noite.'],
    name: ['Com {NAME}, pois não.', 'Aqui é {NAME}.', 'queria reclamar, sou {NAME_LOWER} e me cobraram duas vezes', 'Olha, está tudo em nome de {NAME}.', 'Anota: titular {NAME}.', 'Vou te passar para minha colega {FIRST}.', 'Dona {SURNAME}, um segundinho.', '{NAME} é o meu nome completo.'],
    card: ['Pago com o {CARD_NUMBER} por favor.', 'Os dezesseis dígitos: {CARD_NUMBER}', 'O cartão novo é {CARD_NUMBER} e o antigo terminava em {~last4}.', 'Número {CARD_NUMBER}, vence em {CARD_EXPIRY}, o código de trás {CARD_CVV}.', 'vou ditar o cartão {CARD_NUMBER} ok'],
    cardSpoken: ['tá anota {CARD_SPOKEN} é esse', 'o cartão é o {CARD_SPOKEN}'],
    cvv: ['Três dígitos: {CARD_CVV}, são os do CVV.', 'O CVV2 é {CARD_CVV}.', 'Data de validade {CARD_EXPIRY}.'],
    iban: ['Vou passar o IBAN: {IBAN}', 'Conta IBAN {IBAN} do Millennium, código BIC {SWIFT_BIC}.'],
    ids: ['Com CPF número {CPF}.', 'Meu CPF: {CPF_SPACED}', 'CPF {CPF}, RG {CEDULA_RG}.', 'O CNPJ da loja é {CNPJ}.', 'cpf {CPF_SPOKEN}', 'Passaporte brasileiro {PASSPORT}.', 'O IMEI do aparelho é {~imei}.'],
    phone: ['Me liga no {PHONE}, é meu celular.', 'Meu número é {PHONE_SPOKEN}', 'Tel.: {PHONE}', 'Do {PHONE} me mandaram mensagem no WhatsApp.', 'Contato do escritório: {PHONE}, ramal 204.'],
    email: ['Meu email é {EMAIL_SPOKEN}', 'O e-mail: {EMAIL}', 'Cópia para {EMAIL} e para {EMAIL}.'],
    ip: ['O log mostra o IP {IP_ADDRESS} às {~time}.', 'Atualizei para a versão {~version} e parou de funcionar.'],
    dob: ['Nascimento: {DOB}', 'Eu nasci em {DOB} em Recife.', 'A data de nascimento, {DOB}, não confere.'],
    address: ['Endereço de entrega: {ADDRESS}, CEP {~postcode}.', 'Manda para {ADDRESS} por favor.', 'Moro na {ADDRESS}.'],
    neg: ['O livro ISBN {~isbn} não chegou.', 'CEP {~postcode}.', 'Seu número de reclamação é {~ticket}.', 'Pedido {~order} de {~date}.', 'Me cobraram {~amount} pelo pedido {~cardlike}.', 'Combinamos às {~time}.', 'Versão {~version} instalada.', 'Rastreio {~tracking}.', 'Nº do pedido {~cardlike}, valor {~amount}.'],
    filler: ['Só um instante.', 'Pronto, resolvido.', 'Combinado.', 'Era só isso, obrigado.'],
    close: ['Tenha uma boa noite.', 'Obrigado pela paciência.'],
  },
  en: {
    greeting: ['Thank you for contacting us. My name is {FIRST_CUE}.', 'Hey, who am I speaking with?', 'Customer care, good evening.'],
    name: ['With {NAME}, go ahead.', 'You are speaking with {NAME}.', 'i want to complain my name is {NAME_LOWER} and i got charged twice', 'Everything is under {NAME}.', 'Note it down: holder {NAME}.', "I'll transfer you to my colleague {FIRST}.", 'Ms. {SURNAME}, one second.', '{NAME} is my full name.'],
    card: ['Pay with {CARD_NUMBER} please.', 'The sixteen digits: {CARD_NUMBER}', 'The new card is {CARD_NUMBER} and the old one ended in {~last4}.', 'Number {CARD_NUMBER}, expires {CARD_EXPIRY}, the code on the back {CARD_CVV}.', 'let me read the card {CARD_NUMBER} ok'],
    cardSpoken: ['okay write down {CARD_SPOKEN} that is it', 'the card is {CARD_SPOKEN}'],
    cvv: ['Three digits: {CARD_CVV}, the CVV ones.', 'The CVV2 is {CARD_CVV}.', 'Expiration date {CARD_EXPIRY}.'],
    iban: ["Here's the IBAN: {IBAN}", 'IBAN account {IBAN} at Barclays, BIC code {SWIFT_BIC}.'],
    ids: ['With SSN {SSN}.', 'Social Security No. {SSN}', 'Last year I gave you my SSN, {SSN}.', 'US passport {PASSPORT}.', 'The IMEI of the phone is {~imei}.'],
    phone: ['Call me at {PHONE} instead, that is my cell.', 'My number is {PHONE_SPOKEN}', 'Tel.: {PHONE}', 'They texted me from {PHONE} on WhatsApp.', 'Office contact: {PHONE}, extension 204.'],
    email: ['My email is {EMAIL_SPOKEN}', 'The email: {EMAIL}', 'Copy {EMAIL} and {EMAIL}.'],
    ip: ['The log shows IP {IP_ADDRESS} at {~time}.', 'I updated to version {~version} and it stopped working.'],
    dob: ['Birth date: {DOB}', 'I was born {DOB} in Ohio.', 'Your date of birth, {DOB}, does not match.'],
    address: ['Shipping address: {ADDRESS}, ZIP {~postcode}.', 'Send it to {ADDRESS} please.', 'I live on {ADDRESS}.'],
    neg: ['The book ISBN {~isbn} never arrived.', 'ZIP code {~postcode}.', 'Your complaint number is {~ticket}.', 'Order {~order} from {~date}.', 'They charged me {~amount} for order {~cardlike}.', "Let's talk at {~time}.", 'Version {~version} installed.', 'Tracking {~tracking}.', 'Order no. {~cardlike}, total {~amount}.'],
    filler: ['Bear with me a moment.', 'Done, all set.', 'Alright.', "That'd be all, thanks."],
    close: ['Have a good night.', 'Thanks for your patience.'],
  },
};
