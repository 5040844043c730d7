/**
 * The tenant's rules for security questions and its catalogue of static questions. The shipped
 * catalogue (es, pt, en) is what a tenant gets until it sets its own; a question's id is what an
 * enrolled answer refers to, so a tenant that removes a question from its catalogue makes the
 * answers to it unusable (they are not asked), never wrong.
 */
import { z } from 'zod';

const questionText = z
  .string()
  .trim()
  .min(5)
  .max(200)
  .refine((t) => !/\p{C}/u.test(t), 'no control characters');

export const catalogueQuestionSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z_]{0,39}$/, 'lowercase letters and _, at most 40 characters'),
  text: z.strictObject({ es: questionText, pt: questionText, en: questionText }),
});

export type CatalogueQuestion = z.output<typeof catalogueQuestionSchema>;

/**
 * Questions whose answers are stable, memorable and not usually on a social profile. Nothing
 * about birthplace or mother's maiden name: those are in public records and breached datasets.
 */
export const DEFAULT_QUESTION_CATALOGUE: readonly CatalogueQuestion[] = Object.freeze([
  { id: 'first_pet', text: { es: '¿Cómo se llamaba su primera mascota?', pt: 'Qual era o nome do seu primeiro animal de estimação?', en: 'What was the name of your first pet?' } },
  { id: 'childhood_friend', text: { es: '¿Cómo se llamaba su mejor amigo de la infancia?', pt: 'Qual era o nome do seu melhor amigo de infância?', en: 'What was the name of your best childhood friend?' } },
  { id: 'first_school', text: { es: '¿Cómo se llamaba su primera escuela?', pt: 'Qual era o nome da sua primeira escola?', en: 'What was the name of your first school?' } },
  { id: 'first_street', text: { es: '¿En qué calle vivía de niño?', pt: 'Em que rua você morava quando criança?', en: 'Which street did you live on as a child?' } },
  { id: 'first_job_company', text: { es: '¿En qué empresa tuvo su primer trabajo?', pt: 'Em que empresa foi o seu primeiro emprego?', en: 'Which company gave you your first job?' } },
  { id: 'favourite_teacher', text: { es: '¿Cómo se apellidaba su profesor favorito?', pt: 'Qual era o sobrenome do seu professor favorito?', en: 'What was the surname of your favourite teacher?' } },
  { id: 'first_concert', text: { es: '¿Cuál fue el primer concierto al que fue?', pt: 'Qual foi o primeiro show a que você foi?', en: 'What was the first concert you went to?' } },
  { id: 'childhood_nickname', text: { es: '¿Cuál era su apodo de la infancia?', pt: 'Qual era o seu apelido de infância?', en: 'What was your childhood nickname?' } },
] satisfies CatalogueQuestion[]);

export const questionSettingsSchema = z
  .strictObject({
    /** Static questions put to the caller in one challenge (M). */
    staticAsked: z.number().int().min(1).max(5).default(2),
    /** Of those, how many must be right (N). */
    staticRequired: z.number().int().min(1).max(5).default(2),
    /** Dynamic questions put in one challenge (at most the generators that have data). */
    dynamicAsked: z.number().int().min(1).max(5).default(2),
    /** Of those, how many must be right. */
    dynamicRequired: z.number().int().min(1).max(5).default(2),
    /** Challenges per session and method: each one asked counts, answered or not. */
    attemptsPerSession: z.number().int().min(1).max(5).default(2),
    /** Answers a customer must enroll (and at most 10). */
    minEnrolled: z.number().int().min(2).max(10).default(3),
    /** How long the caller has to answer a challenge. */
    answerMinutes: z.number().int().min(1).max(30).default(10),
    /** The tenant's catalogue; absent: the shipped one. */
    catalogue: z
      .array(catalogueQuestionSchema)
      .min(3)
      .max(50)
      .refine((a) => new Set(a.map((q) => q.id)).size === a.length, 'each question id once')
      .optional(),
  })
  .refine((q) => q.staticRequired <= q.staticAsked, { message: 'staticRequired must not exceed staticAsked', path: ['staticRequired'] })
  .refine((q) => q.dynamicRequired <= q.dynamicAsked, { message: 'dynamicRequired must not exceed dynamicAsked', path: ['dynamicRequired'] })
  .refine((q) => q.minEnrolled >= q.staticAsked, { message: 'minEnrolled must be at least staticAsked', path: ['minEnrolled'] });

export type QuestionSettings = z.output<typeof questionSettingsSchema>;

export const DEFAULT_QUESTION_SETTINGS: QuestionSettings = questionSettingsSchema.parse({});

export function catalogueOf(settings: QuestionSettings): readonly CatalogueQuestion[] {
  return settings.catalogue ?? DEFAULT_QUESTION_CATALOGUE;
}
