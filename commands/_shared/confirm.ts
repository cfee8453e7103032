/** The yes/no question apply asks at a terminal, Terraform-style: only "yes" goes ahead. */
import {createInterface} from 'node:readline/promises'

export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({input: process.stdin, output: process.stdout})
  try {
    return (await rl.question(question)).trim() === 'yes'
  } finally {
    rl.close()
  }
}
